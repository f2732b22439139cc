// The WhatsApp channel: a Cloud API client (send a template or free text, rate-limited per number, errors sorted
// once into transient / permanent / skip / unknown) and the webhook receiver (signed statuses and inbound messages
// → its own tables and the whatsapp.status / whatsapp.inbound domain events). It owns the 24 h window per person.
// It does not schedule anything: the follow-up engine calls send() and consumes the events.
export { createWhatsAppChannel, messageBody, WINDOW_MS } from './client.js';
export type { WhatsAppChannelOptions } from './client.js';
export { classifyErrorCode, classifyHttpError, retryAfterMs } from './classify.js';
export { createSendRateLimiter } from './rate-limit.js';
export { whatsappWebhookRoutes, WEBHOOK_PATH } from './routes.js';
export { isStop, signatureValid } from './webhook.js';
export type { ApplyOptions, ApplyResult } from './webhook.js';
export { digitsOf, toE164 } from './phone.js';
export type { SendResult, WebhookInbound, WhatsAppChannel, WhatsAppMessage } from './types.js';
export { createWhatsApp, whatsappAppModule } from './module.js';
export type { WhatsAppModule } from './module.js';
