// Group commit for the inbox: while one insert is in flight, new deliveries queue up and go in together as ONE
// multi-row insert when it finishes. At low traffic each delivery is inserted at once; under load the batch
// grows by itself, so acks stay fast (one commit, one fsync, for many webhooks) on PostgreSQL and PGlite alike.
import { webhookDeliveries } from '../db/index.js';
import { deliveryValues, type NewDelivery } from './inbox.js';
import type { Tx } from './tx.js';

export interface InboxWriter {
  /**
   * Resolves with the delivery id once the row is committed; with 0 when a row with the same `journalKey` was
   * already stored (a journal entry replayed after a crash: it is stored once).
   */
  write(d: NewDelivery): Promise<number>;
  /** Rows waiting or being written (the processor yields to them). */
  pending(): number;
  /** performance.now() of the last write request (0 = never). */
  lastWriteAt(): number;
}

interface Waiting {
  row: NewDelivery;
  resolve: (id: number) => void;
  reject: (err: unknown) => void;
}

/** A writer of the deliveries received for `account` (the amoCRM account whose webhook URL they came to). */
export function createInboxWriter(db: Tx, account: string, opts: { maxBatch?: number } = {}): InboxWriter {
  const maxBatch = opts.maxBatch ?? 50;
  let queue: Waiting[] = [];
  let inFlight = 0;
  let running = false;
  let last = 0;

  async function insertAll(batch: Waiting[]): Promise<void> {
    // Rows without a journal key (NULL) never conflict.
    const rows = await db
      .insert(webhookDeliveries)
      .values(batch.map(({ row }) => deliveryValues(account, row)))
      .onConflictDoNothing({ target: webhookDeliveries.journalKey })
      .returning({ id: webhookDeliveries.id, journalKey: webhookDeliveries.journalKey });
    // PostgreSQL returns the rows of an INSERT … VALUES in the order given, minus the skipped ones (a journal key
    // stored before: only a row with a key can be skipped).
    let i = 0;
    for (const w of batch) {
      const r = rows[i];
      const key = w.row.journalKey ?? null;
      if (r && (key === null || r.journalKey === key)) {
        i++;
        w.resolve(r.id);
      } else if (key !== null) w.resolve(0);
      else w.reject(new Error('webhook delivery insert returned no row'));
    }
  }

  async function pump(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      try {
        await insertAll(batch);
      } catch (err) {
        // One bad row fails the whole statement: retry one by one so only that delivery gets an error.
        if (batch.length === 1) batch[0]?.reject(err);
        else for (const w of batch) await insertAll([w]).catch((e: unknown) => w.reject(e));
      }
      inFlight = 0;
    }
    running = false;
  }

  return {
    write(row) {
      last = performance.now();
      return new Promise<number>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        if (!running) void pump();
      });
    },
    pending: () => queue.length + inFlight,
    lastWriteAt: () => last,
  };
}
