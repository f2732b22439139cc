// Task name → payload type. Add a line per task (snake_case verb); send()/work()/schedule() are checked against it.
// Glossary: a *task* is a named kind of work; a *job* is one queued run of a task (pg-boss row); an *attempt* is one
// try at a job; a *dead* job exhausted its retries. Lead delivery does NOT use this queue: it is the `leads`
// outbox table claimed with `for update skip locked` (delivery/).
export interface TaskPayloads {
  /** Refresh the amoCRM OAuth pair before the refresh token's 3-month expiry (connect/). */
  amo_keep_alive: Record<string, never>;
  /** Compare recent local leads with amoCRM (webhooks/ reconciliation via the events API). */
  reconcile_amo: { sinceUnix?: number };
  /** Reassign deals whose take-up deadline passed while still in their first stage (routing/, every minute). */
  routing_take_up: Record<string, never>;
}

export type TaskName = keyof TaskPayloads;

/** Every task the server runs (created at start, summed into /health's and doctor's queue depth). */
export const QUEUE_TASKS: readonly TaskName[] = ['amo_keep_alive', 'reconcile_amo', 'routing_take_up'];
