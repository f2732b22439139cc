// amoCRM webhooks: receive (secret URL, raw body stored, 2xx at once), process asynchronously (parse, dedupe,
// apply to amo_deals / amo_contacts / stage history, emit domain_events), and reconcile via the events API.
export { createWebhookSync, processorSharing, webhooksAppModule } from './sync.js';
export type { WebhookSync } from './sync.js';
export { webhookRoutes } from './routes.js';
export { createWebhookProcessor } from './processor.js';
export { createInboxWriter } from './inbox-writer.js';
export type { InboxWriter } from './inbox-writer.js';
export type { ReconcileResult } from './reconcile.js';
export { applyDealObservation } from './apply-deal.js';
export { stageHistory } from './stage-history.js';
export { dealView } from './deal-view.js';
export { cachedFieldMap } from './fields.js';
export { secretMatches } from './secret.js';
export type { DealObservation } from './types.js';
export { syncedDealOfLead, openDealsByUser, syncedContactOwner } from './reads.js';
