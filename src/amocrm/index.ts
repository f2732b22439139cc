// amoCRM API v4 SDK: client, errors, OAuth, hosts, rate limiting, circuit breaker, resources and wire types.
// Imports nothing from the app; reads no env; logs only through the injected logger.
export { AmoClient, type AmoClientOptions } from './client.js';
export type { AmoTransport, ListPage, CallInit } from './core.js';
export * from './errors.js';
export { shouldRetry, retryDelayMs, DEFAULT_MAX_RETRIES } from './retry.js';
export {
  MemoryRateLimitStore,
  RateLimiter,
  DEFAULT_PER_SECOND,
  DEFAULT_SAFETY_MARGIN,
  defaultSleep,
  defaultMaxLateMs,
  type RateLimitStore,
  type Sleep,
} from './rate-limit.js';
export { Reachability, type ReachabilityState } from './reachability.js';
export { CircuitBreaker, type CircuitOptions, type CircuitState, type CircuitStateName } from './circuit.js';
export {
  parseAccountHost,
  tryParseAccountHost,
  consentHost,
  decodeJwtClaims,
  apiDomainOrigin,
  AMO_TLDS,
  type AccountHost,
  type AmoTld,
  type AmoJwtClaims,
} from './hosts.js';
export { MemoryTokenStore, tokenSetFromResponse, longLivedTokenSet, type TokenSet, type TokenStore } from './tokens.js';
export {
  buildAuthorizeUrl,
  exchangeCode,
  refreshTokens,
  getAccountDomainByRefreshToken,
  type OAuthCredentials,
  type OAuthCallContext,
  type AuthorizeUrlInput,
} from './oauth.js';
export {
  Requester,
  DEFAULT_TIMEOUT_MS,
  type AmoHttp,
  type AmoLogger,
  type FetchLike,
  type AmoRequestInfo,
  type RequestOptions,
  type RequesterOptions,
} from './request.js';
export { REFRESH_SKEW_MS } from './auth.js';
export { buildQuery, withQuery, path, chunk, type QueryParams, type QueryValue } from './query.js';
export { BATCH_SIZE, type ListQuery } from './resources/common.js';
export { complexResultsByRequestId, COMPLEX_BATCH_SIZE, type LeadWith } from './resources/leads.js';
export { fieldValues, type ContactMatch } from './resources/contacts.js';
export { digitsOf, phoneKeys, phoneQueries, phonesMatch, normaliseEmail } from './resources/phone.js';
export type { AccountInfo, AccountWith } from './resources/account.js';
export type { CustomFieldEntity, CustomFieldListQuery } from './resources/custom-fields.js';
export type { EventListQuery } from './resources/events.js';
export type { NoteEntity, NoteListQuery } from './resources/notes.js';
export type { TaskListQuery } from './resources/tasks.js';
export type { TagEntity, TagListQuery } from './resources/tags.js';
export type { LinkInput } from './resources/links.js';
export type { UnsortedListQuery, UnsortedActionResult } from './resources/unsorted.js';
export type { UserListQuery, UserWith } from './resources/users.js';
export type { PipelinePatch, StatusPatch } from './resources/pipelines.js';
export type * from './types.js';
export { STATUS_WON, STATUS_LOST } from './types.js';
