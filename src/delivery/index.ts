// Delivery: the outbox worker that puts captured leads into amoCRM exactly once (claim SKIP LOCKED →
// /leads/complex → record), its error classification, the notes outbox, replay (admin routes + SQL for the CLI).
export { createDelivery } from './worker.js';
export { deliveryAppModule } from './module.js';
export type { Delivery, DeliveryOptions } from './worker.js';
export { CONTACT_LOOKUPS } from './contacts.js';
export type { ContactLookup } from './contacts.js';
export { dealName, noteText, MARKER_FIELD_CODE } from './build.js';
export { deliveryRoutes } from './routes.js';
export { replayLeads, statusCounts } from './sql.js';
export type { ReplaySelector } from './sql.js';
