// Delivery: the outbox worker that puts captured leads into amoCRM exactly once (claim SKIP LOCKED →
// /leads/complex → record), its error classification, the notes outbox, replay (admin routes + SQL for the CLI).
export { createDelivery } from './worker.js';
export { deliveryAppModule } from './module.js';
export type { Delivery, DeliveryDeps, DeliveryHealth, DeliveryOptions } from './worker.js';
export type { RouteLeads } from './batch.js';
export { classifyError, backoffMs, DEFAULT_BACKOFF } from './classify.js';
export type { BackoffPolicy, Classified, ErrorKind } from './classify.js';
export { CONTACT_LOOKUPS } from './contacts.js';
export type { ContactLookup } from './contacts.js';
export { buildComplexItem, dealName, noteText, MARKER_FIELD_CODE, markerTag, TRACKING_CODES } from './build.js';
export type { Marker } from './build.js';
export { deliveryRoutes, DeliveryError } from './routes.js';
export type { DeliveryRoutesDeps } from './routes.js';
export { replayLeads, statusCounts } from './sql.js';
export type { ReplaySelector } from './sql.js';
