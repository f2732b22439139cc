// Stage history: one row per stay of a deal in a (pipeline, stage) pair, [entered_at, left_at). Observations
// arrive in any order; each is placed by its amoCRM time, so a late one lands where it belongs.
import { and, asc, eq, sql } from 'drizzle-orm';
import { amoDealStages, type AmoDealStageRow } from '../db/index.js';
import { toDate, type Tx } from './tx.js';

export interface StageObservation {
  /** The deal's account (connection key). */
  account: string;
  amoLeadId: number;
  pipelineId: number;
  statusId: number;
  /** amoCRM time, unix seconds. */
  at: number;
  source: 'webhook' | 'reconcile';
}

const same = (r: AmoDealStageRow, o: StageObservation): boolean => r.pipelineId === o.pipelineId && r.statusId === o.statusId;

/**
 * Records that the deal was in (pipeline, stage) at `at`. The period containing `at` already in that stage:
 * nothing to do. The next period in that stage: it started earlier than we thought, so move its start back.
 * Otherwise a new period starts at `at` and ends where the next one starts. Returns true when history changed.
 */
export async function recordStage(tx: Tx, o: StageObservation): Promise<boolean> {
  const periods = await tx
    .select()
    .from(amoDealStages)
    .where(and(eq(amoDealStages.account, o.account), eq(amoDealStages.amoLeadId, o.amoLeadId)))
    .orderBy(asc(amoDealStages.enteredAt), asc(amoDealStages.id));
  const at = toDate(o.at);
  let prevIdx = -1;
  for (let i = 0; i < periods.length; i++) if ((periods[i] as AmoDealStageRow).enteredAt.getTime() <= at.getTime()) prevIdx = i;
  const prev = prevIdx >= 0 ? periods[prevIdx] : undefined;
  const next = periods[prevIdx + 1];
  if (prev && same(prev, o)) return false;
  if (prev) await tx.update(amoDealStages).set({ leftAt: at }).where(eq(amoDealStages.id, prev.id));
  if (next && same(next, o)) {
    await tx.update(amoDealStages).set({ enteredAt: at }).where(eq(amoDealStages.id, next.id));
    return true;
  }
  await tx.insert(amoDealStages).values({
    account: o.account,
    amoLeadId: o.amoLeadId,
    pipelineId: o.pipelineId,
    statusId: o.statusId,
    enteredAt: at,
    leftAt: next ? next.enteredAt : null,
    source: o.source,
  });
  return true;
}

/**
 * Fast path when `o` is at least as new as everything recorded (the caller knows from the deal row): close the
 * open period and start a new one. Two statements instead of a read and up to three writes.
 */
export async function appendStage(tx: Tx, o: StageObservation): Promise<void> {
  const at = toDate(o.at).toISOString();
  await tx.execute(sql`
    with closed as (
      update ${amoDealStages} set left_at = ${at}::timestamptz
      where ${amoDealStages.account} = ${o.account} and ${amoDealStages.amoLeadId} = ${o.amoLeadId} and ${amoDealStages.leftAt} is null
    )
    insert into ${amoDealStages} (account, amo_lead_id, pipeline_id, status_id, entered_at, source)
    values (${o.account}, ${o.amoLeadId}, ${o.pipelineId}, ${o.statusId}, ${at}::timestamptz, ${o.source})`);
}

export interface StageStay {
  pipelineId: number;
  statusId: number;
  enteredAt: Date;
  leftAt: Date | null;
  /** Seconds in the stage (until now when still there). */
  seconds: number;
  source: string;
}

/** The stage history of the deal `amoLeadId` of `account`, oldest first, with time in each stage. */
export async function stageHistory(tx: Tx, account: string, amoLeadId: number, now: number = Date.now()): Promise<StageStay[]> {
  const rows = await tx
    .select()
    .from(amoDealStages)
    .where(and(eq(amoDealStages.account, account), eq(amoDealStages.amoLeadId, amoLeadId)))
    .orderBy(asc(amoDealStages.enteredAt), asc(amoDealStages.id));
  return rows.map((r) => ({
    pipelineId: r.pipelineId,
    statusId: r.statusId,
    enteredAt: r.enteredAt,
    leftAt: r.leftAt,
    seconds: Math.max(0, Math.round(((r.leftAt?.getTime() ?? now) - r.enteredAt.getTime()) / 1000)),
    source: r.source,
  }));
}
