// The notes outbox queries (delivery_notes): claim a batch, complete it, reschedule or drop failures.
import { and, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import { deliveryNotes, type Database, rowsOf } from '../db/index.js';
import { insertEvents } from './sql.js';

export type NoteRow = typeof deliveryNotes.$inferSelect;

export async function claimNotes(db: Database, workerId: string, limit: number, now: Date, staleBefore: Date): Promise<NoteRow[]> {
  return db.transaction(async (tx) => {
    const due = tx
      .select({ id: deliveryNotes.leadId })
      .from(deliveryNotes)
      .where(
        and(
          lte(deliveryNotes.nextAttemptAt, now),
          or(sql`${deliveryNotes.claimedAt} is null`, lt(deliveryNotes.claimedAt, staleBefore)),
        ),
      )
      .orderBy(deliveryNotes.nextAttemptAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    return tx
      .update(deliveryNotes)
      .set({ claimedAt: now, claimedBy: workerId })
      .where(inArray(deliveryNotes.leadId, due))
      .returning();
  });
}

/** Due, unclaimed notes: how many, and the age (ms) of the oldest. */
export async function dueNotes(db: Database, now: Date): Promise<{ count: number; oldestMs: number }> {
  const res = await db.execute(
    sql`select count(*)::int as n, coalesce(extract(epoch from (${now}::timestamptz - min(created_at))) * 1000, 0)::float8 as age
        from delivery_notes where next_attempt_at <= ${now} and claimed_at is null`,
  );
  const row = rowsOf<{ n: number | string; age: number | string }>(res)[0];
  return { count: Number(row?.n ?? 0), oldestMs: Number(row?.age ?? 0) };
}

export async function completeNotes(db: Database, done: { leadId: string; noteId: number | null }[], now: Date): Promise<void> {
  if (done.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.delete(deliveryNotes).where(inArray(deliveryNotes.leadId, done.map((d) => d.leadId)));
    await insertEvents(tx, done.map((d) => ({ leadId: d.leadId, type: 'note_added', detail: { note_id: d.noteId }, at: now })));
  });
}

export async function failNotes(db: Database, rows: { leadId: string; nextAttemptAt: Date; error: Record<string, unknown>; drop: boolean }[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction(async (tx) => {
    for (const r of rows) {
      if (r.drop) await tx.delete(deliveryNotes).where(eq(deliveryNotes.leadId, r.leadId));
      else
        await tx
          .update(deliveryNotes)
          .set({ attempts: sql`${deliveryNotes.attempts} + 1`, nextAttemptAt: r.nextAttemptAt, lastError: r.error, claimedAt: null, claimedBy: null })
          .where(eq(deliveryNotes.leadId, r.leadId));
    }
    await insertEvents(tx, rows.map((r) => ({ leadId: r.leadId, type: r.drop ? 'note_failed' : 'note_attempt_failed', detail: r.error, at: now })));
  });
}

