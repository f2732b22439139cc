// Composition of the webhooks domain for main.ts: routes + processor + reconcile over one set of deps.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { Database } from '../db/index.js';
import { createInboxWriter } from './inbox-writer.js';
import { createWebhookProcessor, type WebhookProcessor } from './processor.js';
import { reconcileOnce, type ReconcileResult } from './reconcile.js';
import { webhookRoutes } from './routes.js';
import type { DealFieldMap, WebhookLogger, WebhookSource } from './types.js';

export interface WebhookSyncDeps {
  db: Database;
  source: WebhookSource;
  fieldMap?: DealFieldMap | (() => Promise<DealFieldMap>);
  logger?: WebhookLogger;
  /** Our public webhook URL (with its secret), to recognise our subscription when re-enabling it. */
  webhookUrl?: string;
  batchSize?: number;
  pollMs?: number;
  bodyLimit?: number;
}

export interface WebhookSync {
  /** For AppDeps.extraRoutes. */
  routes: (ctx: { metrics?: Registry }) => FastifyPluginAsync;
  processor: WebhookProcessor;
  reconcile: () => Promise<ReconcileResult>;
}

export function createWebhookSync(deps: WebhookSyncDeps): WebhookSync {
  const writer = createInboxWriter(deps.db);
  const processor = createWebhookProcessor({
    db: deps.db,
    busy: () => writer.pending() > 0,
    underLoad: () => performance.now() - writer.lastWriteAt() < 250,
    ...(deps.fieldMap ? { fieldMap: deps.fieldMap } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
    ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
  });
  return {
    processor,
    routes: (ctx) =>
      webhookRoutes({
        db: deps.db,
        source: deps.source,
        writer,
        onStored: () => processor.wake(),
        ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
        ...(deps.bodyLimit ? { bodyLimit: deps.bodyLimit } : {}),
      }),
    reconcile: async () => {
      // Apply what is already stored first, so reconciliation compares against everything we received.
      await processor.drain();
      return reconcileOnce({
        db: deps.db,
        amo: deps.source.amo,
        webhookSecret: deps.source.webhookSecret,
        ...(deps.webhookUrl ? { webhookUrl: deps.webhookUrl } : {}),
        ...(deps.fieldMap ? { fieldMap: deps.fieldMap } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    },
  };
}
