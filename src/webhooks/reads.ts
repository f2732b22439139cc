// Read functions other modules use instead of reaching into the webhook-sync tables: the synced deal of one of our
// leads (routing's take-up deadline), open deals per manager (routing's least-loaded strategy) and a synced
// contact's responsible user (routing's sticky owner).
import { and, count, eq, inArray } from 'drizzle-orm';
import { amoContacts, amoDeals, amoDealStages } from '../db/index.js';
import type { Tx } from './tx.js';

export interface SyncedDeal {
  amoLeadId: number;
  pipelineId: number | null;
  statusId: number | null;
  responsibleUserId: number | null;
  closed: boolean;
  deleted: boolean;
  /** Stays recorded in the stage history (1 = still in the stage it was first seen in). */
  stagesSeen: number;
}

/** The synced amoCRM deal Leadbridge delivered for `leadId`, or null when no webhook/reconcile reported it yet. */
export async function syncedDealOfLead(db: Tx, account: string, leadId: string): Promise<SyncedDeal | null> {
  const [d] = await db.select().from(amoDeals).where(and(eq(amoDeals.account, account), eq(amoDeals.leadId, leadId))).limit(1);
  if (!d) return null;
  const [stays] = await db
    .select({ n: count() })
    .from(amoDealStages)
    .where(and(eq(amoDealStages.account, account), eq(amoDealStages.amoLeadId, d.amoLeadId)));
  return {
    amoLeadId: d.amoLeadId,
    pipelineId: d.pipelineId,
    statusId: d.statusId,
    responsibleUserId: d.responsibleUserId,
    closed: d.isWon || d.isLost,
    deleted: d.isDeleted,
    stagesSeen: Number(stays?.n ?? 0),
  };
}

/** Open (not won, lost or deleted) synced deals per responsible user. Users without any are absent. */
export async function openDealsByUser(db: Tx, account: string, userIds: number[]): Promise<Map<number, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select({ userId: amoDeals.responsibleUserId, n: count() })
    .from(amoDeals)
    .where(and(eq(amoDeals.account, account), inArray(amoDeals.responsibleUserId, userIds), eq(amoDeals.isWon, false), eq(amoDeals.isLost, false), eq(amoDeals.isDeleted, false)))
    .groupBy(amoDeals.responsibleUserId);
  return new Map(rows.filter((r) => r.userId !== null).map((r) => [r.userId as number, Number(r.n)]));
}

/** The responsible user of a synced amoCRM contact; undefined when the contact was never synced. */
export async function syncedContactOwner(db: Tx, account: string, amoContactId: number): Promise<number | null | undefined> {
  const [c] = await db
    .select({ userId: amoContacts.responsibleUserId })
    .from(amoContacts)
    .where(and(eq(amoContacts.account, account), eq(amoContacts.amoContactId, amoContactId)))
    .limit(1);
  return c ? c.userId : undefined;
}

