// The follow-ups' notes lane: every message sent and every WhatsApp reply becomes a note on the amoCRM deal,
// up to 250 per POST /api/v4/leads/notes through the shared amoCRM client (its limiter holds the 7 req/s budget).
// A note waits until its deal is known (the deal projection links lead → deal). At-least-once, like delivery's.
import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { AmoClient } from '../amocrm/index.js';
import { followupNotes, type Database, rowsOf } from '../db/index.js';
import { retryDelayMs } from './schedule.js';

const PER_CALL = 250;
const MAX_ATTEMPTS = 12;

export async function flushNotes(db: Database, account: string, amo: AmoClient, now: () => number): Promise<number> {
  const at = new Date(now());
  // Link notes to their deals first (the message may have gone out before the deal existed).
  await db.execute(sql`
    update followup_notes n set amo_lead_id = d.amo_lead_id from followup_deals d
    where n.account = ${account} and d.account = n.account and n.amo_lead_id is null and n.done_at is null and n.lead_id = d.lead_id`);
  const rows = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: followupNotes.id })
      .from(followupNotes)
      .where(and(eq(followupNotes.account, account), isNull(followupNotes.doneAt), lte(followupNotes.nextAttemptAt, at), sql`${followupNotes.amoLeadId} is not null`))
      .orderBy(asc(followupNotes.id))
      .limit(PER_CALL)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    // Claimed for a minute: another process skips them meanwhile.
    return tx
      .update(followupNotes)
      .set({ nextAttemptAt: new Date(at.getTime() + 60_000), claimedAt: at })
      .where(inArray(followupNotes.id, due.map((d) => d.id)))
      .returning();
  });
  if (rows.length === 0) return 0;
  try {
    const answer = await amo.request<{ _embedded?: { notes?: { id: number; request_id?: string | number }[] } }>('POST', '/api/v4/leads/notes', {
      body: rows.map((r) => ({ entity_id: r.amoLeadId, note_type: 'common', params: { text: r.text }, request_id: String(r.id) })),
    });
    const ids = new Map((answer?._embedded?.notes ?? []).map((n) => [String(n.request_id ?? ''), n.id]));
    await db.transaction(async (tx) => {
      for (const r of rows) await tx.update(followupNotes).set({ doneAt: new Date(now()), noteId: ids.get(String(r.id)) ?? null }).where(eq(followupNotes.id, r.id));
    });
  } catch (e) {
    const error = { message: (e instanceof Error ? e.message : String(e)).slice(0, 300) };
    await db.transaction(async (tx) => {
      for (const r of rows) {
        const drop = r.attempts + 1 >= MAX_ATTEMPTS;
        await tx
          .update(followupNotes)
          .set({ attempts: r.attempts + 1, lastError: error, nextAttemptAt: new Date(now() + retryDelayMs(r.attempts + 1, Math.random, 5000)), ...(drop ? { doneAt: new Date(now()) } : {}) })
          .where(eq(followupNotes.id, r.id));
      }
    });
  }
  return rows.length;
}

/** Used by tests and health: notes not yet written. */
export async function pendingNotes(db: Database, account: string): Promise<number> {
  const res = await db.execute(sql`select count(*)::int as n from followup_notes where account = ${account} and done_at is null`);
  return Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
}
