// Stage history: one row per stay of a deal in a (pipeline, stage) pair, [entered_at, left_at). Observations
// arrive in any order; each is placed by its amoCRM time, so a late one lands where it belongs. The history is
// changed in memory (ApplyState holds it for the batch and writes it back).
import { and, asc, eq } from 'drizzle-orm';
import { amoDealStages } from '../db/index.js';
import type { StagePeriod } from './apply-state.js';
import { toDate, type Tx } from './tx.js';

export interface StageObservation {
  pipelineId: number;
  statusId: number;
  /** amoCRM time, unix seconds. */
  at: number;
  source: 'webhook' | 'reconcile';
}

const same = (p: StagePeriod, o: StageObservation): boolean => p.pipelineId === o.pipelineId && p.statusId === o.statusId;

/** Index of the last period entered at or before `at` (-1: none); a period started now goes right after it. */
function lastAtOrBefore(periods: readonly StagePeriod[], at: Date): number {
  let i = -1;
  for (let k = 0; k < periods.length; k++) if ((periods[k] as StagePeriod).enteredAt.getTime() <= at.getTime()) i = k;
  return i;
}

const move = (p: StagePeriod, to: Partial<Pick<StagePeriod, 'enteredAt' | 'leftAt'>>): void => {
  Object.assign(p, to);
  p.moved = true;
};

/**
 * Records that the deal was in (pipeline, stage) at `at`, in its history `periods` (oldest first, changed in
 * place). The period containing `at` already in that stage: nothing to do. The next period in that stage: it
 * started earlier than we thought, so move its start back. Otherwise a new period starts at `at` and ends where the
 * next one starts. Returns true when history changed.
 */
export function recordStage(periods: StagePeriod[], o: StageObservation): boolean {
  const at = toDate(o.at);
  const prevIdx = lastAtOrBefore(periods, at);
  const prev = periods[prevIdx];
  const next = periods[prevIdx + 1];
  if (prev && same(prev, o)) return false;
  if (prev) move(prev, { leftAt: at });
  if (next && same(next, o)) {
    move(next, { enteredAt: at });
    return true;
  }
  periods.splice(prevIdx + 1, 0, { id: null, pipelineId: o.pipelineId, statusId: o.statusId, enteredAt: at, leftAt: next ? next.enteredAt : null, source: o.source });
  return true;
}

/**
 * When `o` is at least as new as everything recorded (the caller knows from the deal row): the open period ends at
 * `at` and a new one starts.
 */
export function appendStage(periods: StagePeriod[], o: StageObservation): void {
  const at = toDate(o.at);
  for (const p of periods) if (p.leftAt === null) move(p, { leftAt: at });
  periods.splice(lastAtOrBefore(periods, at) + 1, 0, { id: null, pipelineId: o.pipelineId, statusId: o.statusId, enteredAt: at, leftAt: null, source: o.source });
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
