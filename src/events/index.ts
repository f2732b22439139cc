// The events module owns `domain_events`: a typed map of event names to payloads, `emit()` for writers (inside
// their own transaction) and `createConsumer()` for readers (own cursor each, never skipping a late commit).
export { emit } from './emit.js';
export { createConsumer, type Consumer } from './consume.js';
export type { DomainEvent, EventName, NewEvent } from './types.js';
