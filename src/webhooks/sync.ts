// Composition of the webhooks domain: routes + processor + reconcile over one set of deps (src/runtime builds it,
// the same for the server and `leadbridge reconcile`).
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { Database } from '../db/index.js';
import { createInboxWriter, type InboxWriter } from './inbox-writer.js';
import { openWebhookJournal, type WebhookJournal } from './journal.js';
import { createWebhookProcessor, type ProcessorDeps, type WebhookProcessor } from './processor.js';
import { reconcileOnce, type ReconcileResult } from './reconcile.js';
import { webhookRoutes } from './routes.js';
import type { DealFieldMap, WebhookLogger, WebhookSource } from './types.js';
import type { AppModule } from '../app-module.js';
import type { Queue } from '../queue/index.js';

export interface WebhookSyncDeps {
  db: Database;
  /** The amoCRM account (connection key) these webhooks belong to (`'default'` today). */
  account: string;
  source: WebhookSource;
  fieldMap?: DealFieldMap | (() => Promise<DealFieldMap>);
  logger?: WebhookLogger;
  /** Our public webhook URL (with its secret), to recognise our subscription when re-enabling it. */
  webhookUrl?: string;
  batchSize?: number;
  pollMs?: number;
  bodyLimit?: number;
  /** The database is embedded PGlite (one session, on this event loop): the processor yields to acks. */
  embedded?: boolean;
  /** Journal received webhooks in this directory and ack from it (journal.ts); without it acks wait for the insert. */
  journalDir?: string;
  /** Days reconciliation keeps processed webhook bodies (config retention.raw_webhook_days; 0 = forever; default 30). */
  rawRetentionDays?: number;
}

/**
 * How the processor shares the machine with the receiver. Acks and batches share this process's one thread: while
 * webhooks arrive, a batch lane pauses after each batch so that it runs at most a share of the time, and acks keep
 * their CPU on a small machine; a backlog is worked off at full speed once the burst ends (amoCRM only needs the ack
 * within 2 s). PGlite (one session, on its own thread): 40 % of the time, and batches wait for queued inserts.
 * PostgreSQL: two lanes overlap their round trips (claims skip each other's locked rows), each 30 % of the time —
 * with the batched apply that keeps up with 500 deliveries/s (docs/webhooks.md, "Processing").
 */
export function processorSharing(
  writer: InboxWriter,
  embedded: boolean,
): Pick<ProcessorDeps, 'busy' | 'underLoad' | 'loadShare' | 'concurrency' | 'maxBatchMs'> {
  const underLoad = (): boolean => performance.now() - writer.lastWriteAt() < 250;
  if (!embedded) return { concurrency: 2, maxBatchMs: 100, underLoad, loadShare: 0.3 };
  return { busy: () => writer.pending() > 0, underLoad, loadShare: 0.4 };
}

export interface WebhookSync {
  /** The webhooks module's routes. */
  routes: (ctx: { metrics?: Registry }) => FastifyPluginAsync;
  processor: WebhookProcessor;
  /** The receive journal (with `journalDir`): close it after the HTTP server, before the database. */
  journal?: WebhookJournal;
  /** One run (what the schedule and `leadbridge reconcile` do); `since` (unix s) instead of the stored cursor. */
  reconcile: (opts?: { since?: number }) => Promise<ReconcileResult>;
}

export function createWebhookSync(deps: WebhookSyncDeps): WebhookSync {
  const writer = createInboxWriter(deps.db, deps.account);
  const processor = createWebhookProcessor({
    db: deps.db,
    account: deps.account,
    ...processorSharing(writer, deps.embedded ?? true),
    ...(deps.fieldMap ? { fieldMap: deps.fieldMap } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
    ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
  });
  const journal = deps.journalDir
    ? openWebhookJournal({ dir: deps.journalDir, writer, onStored: () => processor.wake(), ...(deps.logger ? { logger: deps.logger } : {}) })
    : undefined;
  return {
    processor,
    ...(journal ? { journal } : {}),
    routes: (ctx) =>
      webhookRoutes({
        source: deps.source,
        writer,
        ...(journal ? { journal } : {}),
        onStored: () => processor.wake(),
        ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
        ...(deps.bodyLimit ? { bodyLimit: deps.bodyLimit } : {}),
      }),
    reconcile: async (opts = {}) => {
      // Apply what is already stored first, so reconciliation compares against everything we received.
      await processor.drain();
      return reconcileOnce({
        db: deps.db,
        account: deps.account,
        amo: deps.source.amo,
        webhookSecret: deps.source.webhookSecret,
        ...(deps.webhookUrl ? { webhookUrl: deps.webhookUrl } : {}),
        ...(deps.fieldMap ? { fieldMap: deps.fieldMap } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
        ...(deps.rawRetentionDays !== undefined ? { retention: { deliveriesDays: deps.rawRetentionDays } } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
      });
    },
  };
}

/**
 * Webhook sync as a module of the server: the receiver's routes; once listening, the processor and the scheduled
 * reconciliation (`reconcileCron`; null = off).
 */
export function webhooksAppModule(
  sync: WebhookSync,
  deps: { queue: Pick<Queue, 'work' | 'schedule'>; reconcileCron: string | null; logger?: Pick<WebhookLogger, 'warn'> },
): AppModule {
  return {
    name: 'webhooks',
    routes: sync.routes,
    start: async () => {
      sync.processor.start();
      await deps.queue.work('reconcile_amo', async () => {
        try {
          await sync.reconcile();
        } catch (err) {
          deps.logger?.warn({ err }, 'reconciliation failed; the next run retries');
        }
      });
      if (deps.reconcileCron) await deps.queue.schedule('reconcile_amo', deps.reconcileCron, {});
    },
  };
}
