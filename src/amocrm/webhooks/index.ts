// amoCRM outgoing webhooks: parse PHP form (or JSON) bodies into typed events, and build bodies exactly as amoCRM
// sends them (used by the emulator, tests and benches). Owns no I/O: storing, deduping and applying events is
// the app's webhooks/ domain.

export { parseWebhook } from './parse-webhook.js';
export { WebhookParseError, DEFAULT_PARSE_LIMITS } from './errors.js';
export type { ParseLimits, WebhookParseErrorCode } from './errors.js';
export { dedupeKey } from './dedupe.js';
export type * from './events.js';
export type { RawObject, RawValue } from './tree.js';
export { encodeWebhookBody, phpUrlencode } from './encode.js';
export type { HookEntityKey, HookItem } from './encode.js';
export { leadToHookFields, leadOldFields, contactToHookFields, taskToHookFields, deletedHookFields, phpDate } from './hook-fields.js';
