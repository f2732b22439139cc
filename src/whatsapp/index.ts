// The WhatsApp channel: a Cloud API client (send a template or free text, rate-limited per number, errors sorted
// once into transient / permanent / skip / unknown) and the webhook receiver (signed statuses and inbound messages
// → its own tables and the whatsapp.status / whatsapp.inbound domain events). It owns the 24 h window per person.
// It does not schedule anything: the follow-up engine calls send() and consumes the events.
export { createWhatsAppChannel, messageBody, DEFAULT_API_URL, WINDOW_MS } from './client.js';
export type { WhatsAppChannelOptions } from './client.js';
export { classifyErrorCode, classifyHttpError, retryAfterMs } from './classify.js';
export type { FailureKind, SendFailure } from './classify.js';
export { createSendRateLimiter, DEFAULT_RATE_PER_SECOND } from './rate-limit.js';
export type { SendRateLimiter, SendRateLimiterOptions } from './rate-limit.js';
export { whatsappWebhookRoutes, WEBHOOK_PATH } from './routes.js';
export type { WhatsAppWebhookDeps, WhatsAppWebhookLogger } from './routes.js';
export { applyPayload, DEFAULT_STOP_PAYLOADS, DEFAULT_STOP_WORDS, inboundText, isStop, parsePayload, signatureValid, signBody, WebhookPayloadError } from './webhook.js';
export type { ApplyOptions, ApplyResult, StopRules } from './webhook.js';
export { contactState } from './sql.js';
export type { ContactState } from './sql.js';
export { digitsOf, toE164 } from './phone.js';
export type {
  GraphError,
  SendResponse,
  SendResult,
  WebhookError,
  WebhookInbound,
  WebhookPayload,
  WebhookStatus,
  WebhookUserPreference,
  WebhookValue,
  WhatsAppChannel,
  WhatsAppMessage,
} from './types.js';
export { createWhatsApp, whatsappAppModule } from './module.js';
export type { WhatsAppEnv, WhatsAppModule, WhatsAppModuleDeps } from './module.js';
