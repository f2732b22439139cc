// Manager routing: who becomes a deal's responsible user, and why (docs/routing.md). A pure decision core (rules,
// strategies, availability, sticky owner, fallback) and a thin I/O layer (rotation and counts in the database,
// amoCRM users cached, the take-up deadline job).
export { createRouting } from './service.js';
export { routingAppModule } from './module.js';
export type { Routing } from './service.js';
export { RoutingSectionSchema } from './config.js';
export type { RoutingFileInput } from './config.js';
export { decide } from './decide.js';
export { routingView } from './note.js';
export type { RoutingConfig } from './types.js';
