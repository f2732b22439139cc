// Scheduled, delayed and cron work (token keep-alive, reconciliation) on pg-boss 10 over the app's Db.
// Not for lead delivery: that is the outbox in the `leads` table (delivery/).
export { createQueue, queuedJobs } from './queue.js';
export { QUEUE_TASKS } from './tasks.js';
export type { Queue } from './queue.js';
