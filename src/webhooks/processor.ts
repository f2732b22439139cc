// The processor loop: woken after each insert (and polling for other instances' inserts), it claims pending
// deliveries in batches (skip locked) and applies them in one transaction per batch. A batch that fails is
// retried one delivery at a time, and a delivery that still fails is marked `failed` (reconciliation repairs
// what it would have applied).
import type { Database, WebhookDeliveryRow } from '../db/index.js';
import type { ApplyContext } from './apply-deal.js';
import { claimPending, finishDelivery, getDelivery } from './inbox.js';
import { processDeliveries } from './process-delivery.js';
import type { DealFieldMap, WebhookLogger } from './types.js';

export interface ProcessorDeps {
  db: Database;
  /** The amoCRM account (connection key) whose webhooks this processor applies (`'default'` today). */
  account: string;
  /** Deal field mapping (from the provisioning ResolvedMap); re-read once per batch. */
  fieldMap?: DealFieldMap | (() => Promise<DealFieldMap>);
  logger?: WebhookLogger;
  /** Max deliveries per transaction (default 50). */
  batchSize?: number;
  /**
   * Target duration of one batch transaction (default 25 ms): the batch size adapts to it. On PGlite (one
   * session) a running transaction holds back the inserts of incoming webhooks, so short batches keep acks fast.
   */
  maxBatchMs?: number;
  /** True while webhook inserts are waiting (InboxWriter.pending() > 0): batches wait for them (≤ 100 ms). */
  busy?: () => boolean;
  /**
   * True while webhooks are arriving. The processor then works at most `loadShare` of the time (it pauses after
   * each batch), so acks keep their CPU on a small machine — on PGlite every SQL statement runs on this event
   * loop. A backlog is worked off at full speed once the burst ends; amoCRM only needs the ack within 2 s.
   */
  underLoad?: () => boolean;
  /** Share of time the processor may use while `underLoad()` (default 0.2). */
  loadShare?: number;
  /** Poll interval when idle (default 1000 ms). */
  pollMs?: number;
  /**
   * Batches in flight at once (default 1). On PostgreSQL several transactions overlap their round trips (claims
   * skip each other's locked rows); on PGlite (one session) more than 1 gains nothing.
   */
  concurrency?: number;
  /** Called after each committed batch with counts (metrics). */
  onBatch?: (stats: BatchStats) => void;
}

export interface BatchStats {
  deliveries: number;
  events: number;
  applied: number;
  duplicates: number;
  failed: number;
}

export interface WebhookProcessor {
  start(): void;
  stop(): Promise<void>;
  /** Process now (after an insert). */
  wake(): void;
  /** Processes until nothing is pending; returns the number of deliveries handled. */
  drain(): Promise<number>;
}

const EMPTY_MAP: DealFieldMap = { byKey: {} };

export function createWebhookProcessor(deps: ProcessorDeps): WebhookProcessor {
  const batchSize = deps.batchSize ?? 50;
  const maxBatchMs = deps.maxBatchMs ?? 25;
  const loadShare = Math.min(1, Math.max(0.05, deps.loadShare ?? 0.2));
  let size = Math.min(batchSize, 5);
  let lastBatchMs = 0;
  const pollMs = deps.pollMs ?? 1000;
  let running = false;
  let loop: Promise<unknown> | undefined;
  const wakers = new Set<() => void>();
  let woken = false;
  let current: Promise<number> | undefined;

  const context = async (): Promise<ApplyContext> => {
    const fm = deps.fieldMap;
    return { account: deps.account, fieldMap: typeof fm === 'function' ? await fm() : (fm ?? EMPTY_MAP) };
  };

  async function runBatch(): Promise<number> {
    // Acks first: on PGlite a batch transaction holds back every insert queued behind it.
    for (let waited = 0; deps.busy?.() && waited < 100; waited += 2) await new Promise((r) => setTimeout(r, 2));
    const ctx = await context();
    const stats: BatchStats = { deliveries: 0, events: 0, applied: 0, duplicates: 0, failed: 0 };
    let claimed: WebhookDeliveryRow[] = [];
    const started = performance.now();
    try {
      await deps.db.transaction(async (tx) => {
        claimed = await claimPending(tx, deps.account, size);
        for (const r of await processDeliveries(tx, claimed, ctx)) {
          stats.events += r.events;
          stats.applied += r.applied;
          if (r.status === 'duplicate') stats.duplicates++;
        }
      });
      stats.deliveries = claimed.length;
      if (claimed.length > 0) {
        const perDelivery = (performance.now() - started) / claimed.length;
        size = Math.max(1, Math.min(batchSize, Math.floor(maxBatchMs / Math.max(perDelivery, 0.1))));
      }
    } catch (err) {
      deps.logger?.warn({ err, deliveries: claimed.length }, 'webhook batch failed; retrying one by one');
      for (const { id } of claimed) {
        try {
          await deps.db.transaction(async (tx) => {
            const d = await getDelivery(tx, id);
            if (!d || d.status !== 'pending') return;
            const [r] = await processDeliveries(tx, [d], ctx);
            if (!r) return;
            stats.events += r.events;
            stats.applied += r.applied;
          });
        } catch (e) {
          stats.failed++;
          deps.logger?.error({ err: e, deliveryId: id }, 'webhook delivery failed');
          await deps.db.transaction(async (tx) => {
            await finishDelivery(tx, id, { status: 'failed', errorCode: 'APPLY_FAILED', error: e instanceof Error ? e.message : String(e) });
          });
        }
        stats.deliveries++;
      }
    }
    lastBatchMs = performance.now() - started;
    if (stats.deliveries > 0) deps.onBatch?.(stats);
    return stats.deliveries;
  }

  const lanes = Math.max(1, Math.floor(deps.concurrency ?? 1));
  /** Lane 0 and drain() share one batch at a time; further lanes (concurrency > 1) run their own. */
  function batch(lane = 0): Promise<number> {
    if (lane > 0) return runBatch();
    current ??= runBatch().finally(() => (current = undefined));
    return current;
  }

  async function run(lane: number): Promise<void> {
    while (running) {
      let n = 0;
      try {
        n = await batch(lane);
      } catch (err) {
        deps.logger?.error({ err }, 'webhook processor error');
      }
      // Let incoming requests run (and queue their inserts) before the next transaction.
      if (n > 0 && deps.underLoad?.()) {
        const pauseMs = Math.max(1, lastBatchMs * (1 / loadShare - 1));
        await new Promise<void>((resolve) => setTimeout(resolve, pauseMs));
      }
      else await new Promise<void>((resolve) => setImmediate(resolve));
      if (n > 0 || !running) continue;
      if (woken) {
        woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          wakers.delete(done);
          resolve();
        };
        const t = setTimeout(done, pollMs);
        wakers.add(done);
      });
      woken = false;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = Promise.all(Array.from({ length: lanes }, (_, lane) => run(lane)));
    },
    async stop() {
      running = false;
      for (const w of [...wakers]) w();
      await loop;
      await current;
    },
    wake() {
      woken = true;
      for (const w of [...wakers]) w();
    },
    async drain() {
      let total = 0;
      for (;;) {
        const n = await batch();
        total += n;
        if (n === 0) {
          // The loop's batch may have ended while ours waited; one more look settles it.
          const again = await batch();
          if (again === 0) return total;
          total += again;
        }
      }
    },
  };
}
