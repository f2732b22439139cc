// amoCRM webhooks: receive (secret URL, raw body stored, 2xx at once), process asynchronously (parse, dedupe,
// apply to amo_deals / amo_contacts / stage history, emit domain_events), and reconcile via the events API.
export { createWebhookSync, processorSharing, webhooksAppModule } from './sync.js';
export type { WebhookSync, WebhookSyncDeps } from './sync.js';
export { webhookRoutes, accountMismatch } from './routes.js';
export type { WebhookRouteDeps } from './routes.js';
export { createWebhookProcessor } from './processor.js';
export { createInboxWriter } from './inbox-writer.js';
export type { InboxWriter } from './inbox-writer.js';
export type { BatchStats, ProcessorDeps, WebhookProcessor } from './processor.js';
export { reconcileOnce, maskSecret, RECONCILE_EVENT_TYPES } from './reconcile.js';
export type { ReconcileDeps, ReconcileResult } from './reconcile.js';
export { applyDealObservation } from './apply-deal.js';
export type { ApplyContext, ApplyDealResult } from './apply-deal.js';
export { stageHistory, recordStage } from './stage-history.js';
export { dealView, type DealView } from './deal-view.js';
export type { StageStay, StageObservation } from './stage-history.js';
export { dealFieldMapFromResolved, cachedFieldMap, mappedNumber, mappedText } from './fields.js';
export { secretMatches } from './secret.js';
export type { ContactObservation, DealFieldMap, DealObservation, WebhookLogger, WebhookSource } from './types.js';
export { syncedDealOfLead, openDealsByUser, syncedContactOwner } from './reads.js';
export type { SyncedDeal } from './reads.js';
