// Follow-up queries: one function per statement, the database or a transaction first.
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import {
  followupDeals,
  followupEnrolments,
  followupNotes,
  followupSteps,
  followupSuppressions,
  type Database,
  type EnrolmentVars,
  type FollowupDealRow,
  type FollowupEnrolmentRow,
  type FollowupStepRow,
  type StepStatus, rowsOf } from '../db/index.js';
import type { Tx } from '../db/index.js';

export type { Tx };

/** Statuses of a step that are finished (nothing more will be sent for it). */
export const FINAL_STEP = ['sent', 'delivered', 'read', 'done', 'failed', 'skipped', 'unknown', 'cancelled'] as const satisfies readonly StepStatus[];
/** A step counted against the daily cap: a message went (or may have gone) out. */
const COUNTED = ['sending', 'sent', 'delivered', 'read', 'unknown'] as const;

export interface NewEnrolment {
  account: string;
  sequenceKey: string;
  leadId: string | null;
  amoLeadId: number | null;
  personKey: string;
  dedupeKey: string;
  stage: { pipeline_id: number | null; status_id: number } | null;
  vars: EnrolmentVars;
}

/** Inserts the enrolment unless its dedupe key exists (enrol once). Returns the new row, or undefined. */
export async function insertEnrolment(tx: Tx, e: NewEnrolment, now: Date): Promise<FollowupEnrolmentRow | undefined> {
  const [row] = await tx
    .insert(followupEnrolments)
    .values({ ...e, createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: [followupEnrolments.account, followupEnrolments.dedupeKey] })
    .returning();
  return row;
}

export async function insertStep(tx: Tx, s: { enrolmentId: string; stepIndex: number; kind: 'email' | 'whatsapp' | 'task'; dueAt: Date }, now: Date): Promise<void> {
  await tx.insert(followupSteps).values({ ...s, createdAt: now, updatedAt: now }).onConflictDoNothing();
}

export async function setEnrolmentProgress(tx: Tx, id: string, nextStep: number, done: boolean, now: Date): Promise<void> {
  await tx
    .update(followupEnrolments)
    .set({ nextStep, updatedAt: now, ...(done ? { status: 'completed' as const, endedAt: now } : {}) })
    .where(and(eq(followupEnrolments.id, id), eq(followupEnrolments.status, 'active')));
}

/** Ends active enrolments (and cancels their pending steps) with the reason. Returns the ids that were ended. */
export async function exitEnrolments(tx: Tx, ids: string[], reason: string, detail: string | null, now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const ended = await tx
    .update(followupEnrolments)
    .set({ status: 'exited', exitReason: reason, exitDetail: detail, endedAt: now, updatedAt: now })
    .where(and(inArray(followupEnrolments.id, ids), eq(followupEnrolments.status, 'active')))
    .returning({ id: followupEnrolments.id });
  const endedIds = ended.map((r) => r.id);
  if (endedIds.length > 0) {
    await tx
      .update(followupSteps)
      .set({ status: 'cancelled', reason, updatedAt: now, doneAt: now })
      .where(and(inArray(followupSteps.enrolmentId, endedIds), inArray(followupSteps.status, ['scheduled', 'claimed'])));
  }
  return endedIds;
}

export async function activeEnrolments(tx: Tx, account: string, by: { amoLeadId?: number; leadId?: string; phone?: string; email?: string }): Promise<FollowupEnrolmentRow[]> {
  const conds = [eq(followupEnrolments.account, account), eq(followupEnrolments.status, 'active')];
  if (by.amoLeadId !== undefined) conds.push(eq(followupEnrolments.amoLeadId, by.amoLeadId));
  if (by.leadId !== undefined) conds.push(eq(followupEnrolments.leadId, by.leadId));
  if (by.phone !== undefined) conds.push(sql`${followupEnrolments.vars}->>'phone' = ${by.phone}`);
  if (by.email !== undefined) conds.push(sql`lower(${followupEnrolments.vars}->>'email') = ${by.email.toLowerCase()}`);
  return tx.select().from(followupEnrolments).where(and(...conds));
}

/** Leads ever enrolled with this phone (newest first): where a WhatsApp reply's note goes. */
export async function leadsByPhone(tx: Tx, account: string, phone: string): Promise<{ leadId: string | null; amoLeadId: number | null }[]> {
  return tx
    .selectDistinct({ leadId: followupEnrolments.leadId, amoLeadId: followupEnrolments.amoLeadId })
    .from(followupEnrolments)
    .where(and(eq(followupEnrolments.account, account), sql`${followupEnrolments.vars}->>'phone' = ${phone}`))
    .limit(5);
}

/**
 * Links a lead's enrolments to its deal. `stage` is the stage the deal was in when the lead's sequences began
 * (its creation stage, or the `from` of its first move): a lead_captured sequence exiting on `left_stage` leaves
 * when the deal moves on from there.
 */
export async function linkDeal(tx: Tx, leadId: string, amoLeadId: number, stage: { pipeline_id: number | null; status_id: number } | null, now: Date): Promise<void> {
  await tx
    .update(followupEnrolments)
    .set({ amoLeadId, updatedAt: now, ...(stage ? { stage: sql`coalesce(${followupEnrolments.stage}, ${JSON.stringify(stage)}::jsonb)` } : {}) })
    .where(and(eq(followupEnrolments.leadId, leadId), sql`${followupEnrolments.amoLeadId} is null`));
}

export async function getDeal(tx: Tx, account: string, amoLeadId: number): Promise<FollowupDealRow | undefined> {
  const [row] = await tx.select().from(followupDeals).where(and(eq(followupDeals.account, account), eq(followupDeals.amoLeadId, amoLeadId))).limit(1);
  return row;
}

export async function dealOfLead(tx: Tx, account: string, leadId: string): Promise<FollowupDealRow | undefined> {
  const [row] = await tx.select().from(followupDeals).where(and(eq(followupDeals.account, account), eq(followupDeals.leadId, leadId))).orderBy(desc(followupDeals.updatedAt)).limit(1);
  return row;
}

export async function upsertDeal(tx: Tx, account: string, d: Partial<FollowupDealRow> & { amoLeadId: number }, now: Date): Promise<void> {
  const set: Partial<FollowupDealRow> = { updatedAt: now };
  for (const k of ['leadId', 'pipelineId', 'statusId', 'responsibleUserId', 'stageEnteredAt', 'closed'] as const) {
    if (d[k] !== undefined) (set as Record<string, unknown>)[k] = d[k];
  }
  await tx
    .insert(followupDeals)
    .values({ ...d, account, updatedAt: now })
    .onConflictDoUpdate({ target: [followupDeals.account, followupDeals.amoLeadId], set });
}

export async function suppress(tx: Tx, account: string, channel: 'email' | 'whatsapp', address: string, reason: string, detail: string | null): Promise<void> {
  await tx.insert(followupSuppressions).values({ account, channel, address: channel === 'email' ? address.toLowerCase() : address, reason, detail }).onConflictDoNothing();
}

export async function suppressions(tx: Tx, account: string, email: string | null, phone: string | null): Promise<{ channel: 'email' | 'whatsapp'; reason: string }[]> {
  const conds = [];
  if (email) conds.push(and(eq(followupSuppressions.channel, 'email'), eq(followupSuppressions.address, email.toLowerCase())));
  if (phone) conds.push(and(eq(followupSuppressions.channel, 'whatsapp'), eq(followupSuppressions.address, phone)));
  if (conds.length === 0) return [];
  return tx
    .select({ channel: followupSuppressions.channel, reason: followupSuppressions.reason })
    .from(followupSuppressions)
    .where(and(eq(followupSuppressions.account, account), sql.join(conds.map((c) => sql`(${c})`), sql` or `)));
}

/**
 * Claims due steps (SKIP LOCKED: several processes never claim the same row). A claim older than `staleBefore`
 * is taken over: its worker died before calling out (a step that reached `sending` is never re-claimed).
 */
export async function claimSteps(db: Database, workerId: string, limit: number, now: Date, staleBefore: Date): Promise<FollowupStepRow[]> {
  const res = await db.execute(sql`
    update followup_steps s set status = 'claimed', claimed_at = ${now}, claimed_by = ${workerId}, updated_at = ${now}
    where s.id in (
      select id from followup_steps
      where (status = 'scheduled' and due_at <= ${now}) or (status = 'claimed' and claimed_at < ${staleBefore})
      order by due_at limit ${limit} for update skip locked)
    returning s.id`);
  const ids = rowsOf<{ id: number | string }>(res).map((r) => Number(r.id));
  if (ids.length === 0) return [];
  return db.select().from(followupSteps).where(inArray(followupSteps.id, ids)).orderBy(asc(followupSteps.dueAt));
}

/** Steps left in `sending` longer than the send timeout: their process died mid-call. Marked unknown (never resent). */
export async function sweepUnknown(db: Database, before: Date, now: Date): Promise<FollowupStepRow[]> {
  return db
    .update(followupSteps)
    .set({ status: 'unknown', reason: 'outcome_unknown', error: { message: 'the process stopped while sending; the message may have gone out, so it is not resent' }, doneAt: now, updatedAt: now })
    .where(and(eq(followupSteps.status, 'sending'), sql`${followupSteps.sendingAt} < ${before}`))
    .returning();
}

export async function getStepForUpdate(tx: Tx, id: number): Promise<FollowupStepRow | undefined> {
  const res = await tx.execute(sql`select id from followup_steps where id = ${id} for update`);
  if (rowsOf(res).length === 0) return undefined;
  const [row] = await tx.select().from(followupSteps).where(eq(followupSteps.id, id));
  return row;
}

export async function getEnrolmentForUpdate(tx: Tx, id: string): Promise<FollowupEnrolmentRow | undefined> {
  await tx.execute(sql`select id from followup_enrolments where id = ${id} for update`);
  const [row] = await tx.select().from(followupEnrolments).where(eq(followupEnrolments.id, id));
  return row;
}

export async function updateStep(tx: Tx, id: number, set: Partial<FollowupStepRow>, now: Date): Promise<void> {
  await tx.update(followupSteps).set({ ...set, updatedAt: now }).where(eq(followupSteps.id, id));
}

/** Messages to one person since `since` (the daily cap), over all sequences. */
export async function sentSince(tx: Tx, personKey: string, since: Date): Promise<number> {
  const res = await tx.execute(sql`
    select count(*)::int as n from followup_steps s join followup_enrolments e on e.id = s.enrolment_id
    where e.person_key = ${personKey} and s.kind in ('email', 'whatsapp')
      and s.status in (${sql.join(COUNTED.map((c) => sql`${c}`), sql`, `)}) and s.sending_at >= ${since}`);
  return Number(rowsOf<{ n: number | string }>(res)[0]?.n ?? 0);
}

/** Message-IDs of the earlier emails of an enrolment (References header). */
export async function earlierEmailIds(tx: Tx, enrolmentId: string, before: number): Promise<string[]> {
  const rows = await tx
    .select({ id: followupSteps.messageId })
    .from(followupSteps)
    .where(and(eq(followupSteps.enrolmentId, enrolmentId), eq(followupSteps.kind, 'email'), sql`${followupSteps.stepIndex} < ${before}`, sql`${followupSteps.messageId} is not null`))
    .orderBy(asc(followupSteps.stepIndex));
  return rows.map((r) => r.id as string);
}

export async function stepByMessageId(tx: Tx, messageId: string): Promise<FollowupStepRow | undefined> {
  const [row] = await tx.select().from(followupSteps).where(eq(followupSteps.messageId, messageId)).limit(1);
  return row;
}

export async function getEnrolment(tx: Tx, id: string): Promise<FollowupEnrolmentRow | undefined> {
  const [row] = await tx.select().from(followupEnrolments).where(eq(followupEnrolments.id, id));
  return row;
}

export async function queueNote(tx: Tx, account: string, n: { leadId: string | null; amoLeadId: number | null; text: string }, now: Date): Promise<void> {
  await tx.insert(followupNotes).values({ ...n, account, createdAt: now, nextAttemptAt: now });
}

export async function listEnrolments(
  tx: Tx,
  account: string,
  f: { leadId?: string; status?: string; sequence?: string; limit?: number },
): Promise<FollowupEnrolmentRow[]> {
  const conds = [eq(followupEnrolments.account, account)];
  if (f.leadId) conds.push(eq(followupEnrolments.leadId, f.leadId));
  if (f.status) conds.push(sql`${followupEnrolments.status} = ${f.status}`);
  if (f.sequence) conds.push(eq(followupEnrolments.sequenceKey, f.sequence));
  return tx
    .select()
    .from(followupEnrolments)
    .where(and(...conds))
    .orderBy(desc(followupEnrolments.createdAt))
    .limit(f.limit ?? 100);
}

export async function stepsOf(tx: Tx, enrolmentIds: string[]): Promise<FollowupStepRow[]> {
  if (enrolmentIds.length === 0) return [];
  return tx.select().from(followupSteps).where(inArray(followupSteps.enrolmentId, enrolmentIds)).orderBy(asc(followupSteps.stepIndex));
}
