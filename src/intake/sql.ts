// Intake queries: one function per statement, the db or transaction first.
import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/index.js';
import { leadEvents, leads, type LeadEventRow, type LeadRow, type NewLeadRow } from '../db/index.js';

/** A Database or a transaction of it (both have the same query builder). */
export type Tx = Pick<Database, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

/** Inserts unless (form_key, idempotency_key) exists; returns undefined on that conflict. */
export async function insertLeadIfNew(tx: Tx, row: NewLeadRow): Promise<LeadRow | undefined> {
  const [inserted] = await tx
    .insert(leads)
    .values(row)
    .onConflictDoNothing({ target: [leads.formKey, leads.idempotencyKey] })
    .returning();
  return inserted;
}

export async function findLeadByIdempotencyKey(tx: Tx, formKey: string, key: string): Promise<LeadRow | undefined> {
  const [row] = await tx
    .select()
    .from(leads)
    .where(and(eq(leads.formKey, formKey), eq(leads.idempotencyKey, key)))
    .limit(1);
  return row;
}

export async function insertLeadEvent(tx: Tx, leadId: string, type: string, detail: Record<string, unknown> = {}): Promise<void> {
  await tx.insert(leadEvents).values({ leadId, type, detail });
}

export async function getLead(tx: Tx, id: string): Promise<LeadRow | undefined> {
  const [row] = await tx.select().from(leads).where(eq(leads.id, id)).limit(1);
  return row;
}

export async function listLeadEvents(tx: Tx, leadId: string): Promise<LeadEventRow[]> {
  return tx.select().from(leadEvents).where(eq(leadEvents.leadId, leadId)).orderBy(asc(leadEvents.at), asc(leadEvents.id));
}
