// Where an enrolment goes next: the first sending step from `from` on, due after the waits before it (a wait
// "until 10:00" is the next 10:00 in the sequence's time zone; message steps are moved out of quiet hours).
import type { EnrolmentVars, FollowupEnrolmentRow } from '../db/index.js';
import { nextAllowed, nextClock } from './schedule.js';
import type { Sequence } from './sequences.js';
import { insertStep, setEnrolmentProgress, type Tx } from './sql.js';

export function planNext(seq: Sequence, from: number, startMs: number): { index: number; kind: 'email' | 'whatsapp' | 'task'; dueMs: number } | null {
  let t = startMs;
  for (let i = from; i < seq.steps.length; i++) {
    const s = seq.steps[i];
    if (!s) break;
    if (s.kind === 'wait') t += s.ms;
    else if (s.kind === 'wait_until') t = nextClock(t, seq.timezone, s.minute);
    else return { index: i, kind: s.kind, dueMs: s.kind === 'task' ? t : nextAllowed(t, seq.timezone, seq.quiet) };
  }
  return null;
}

/** Schedules the step after `from - 1` (or completes the enrolment) in the caller's transaction. */
export async function advance(tx: Tx, seq: Sequence, enrolment: Pick<FollowupEnrolmentRow, 'id'>, from: number, startMs: number, now: Date): Promise<void> {
  const next = planNext(seq, from, startMs);
  if (!next) {
    await setEnrolmentProgress(tx, enrolment.id, seq.steps.length, true, now);
    return;
  }
  await insertStep(tx, { enrolmentId: enrolment.id, stepIndex: next.index, kind: next.kind, dueAt: new Date(next.dueMs) }, now);
  await setEnrolmentProgress(tx, enrolment.id, next.index, false, now);
}

/** "The same person" for enrol-once: lower-case email, else phone, else the lead or deal. */
export function personKey(vars: EnrolmentVars, leadId: string | null, amoLeadId: number | null): string {
  if (vars.email) return `email:${vars.email.toLowerCase()}`;
  if (vars.phone) return `phone:${vars.phone}`;
  if (leadId) return `lead:${leadId}`;
  return `deal:${amoLeadId ?? 'unknown'}`;
}
