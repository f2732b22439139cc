// Options, records and the control surface of the WhatsApp Cloud API emulator.
import type { FastifyInstance } from 'fastify';
import type { Template } from './templates.js';

export interface WhatsAppEmulatorOptions {
  port?: number;
  host?: string;
  /** The bearer token the emulator accepts (default DEFAULT_TOKEN). */
  token?: string;
  /** The business phone number id in the path (default DEFAULT_PHONE_NUMBER_ID). */
  phoneNumberId?: string;
  /** The business number shown in webhook metadata (digits). */
  displayPhoneNumber?: string;
  wabaId?: string;
  /** Signs every webhook (X-Hub-Signature-256); default DEFAULT_APP_SECRET. */
  appSecret?: string;
  /** Where status and inbound webhooks are POSTed (none are sent while unset). */
  webhookUrl?: string;
  /** The approved (and not) templates; default DEFAULT_TEMPLATES. */
  templates?: Template[];
  /** Throughput per phone number (default 80, Meta's default); above it → 130429. */
  messagesPerSecond?: number;
  /** Pair rate limit: at most `max` messages to one person per `windowMs` (default 45 per 6 s) → 131056. */
  pairLimit?: { windowMs: number; max: number } | false;
  /**
   * Recipients that fail asynchronously (a `failed` status webhook), by wa_id: the code, or undefined to deliver.
   * Default: numbers ending 0026 → 131026, 0049 → 131049, 0050 → 131050.
   */
  failureFor?: (waId: string) => number | undefined;
  /** Delays after acceptance; `read: false` = never read. Default sent 20 ms, delivered 40 ms, read 80 ms. */
  statusDelaysMs?: { sent?: number; delivered?: number; read?: number | false };
  /** Send `read` before `delivered` (Meta does not guarantee order). */
  readBeforeDelivered?: boolean;
  /** Send every status webhook twice (Meta delivers at least once). */
  duplicateStatuses?: boolean;
  /** Delays between webhook delivery attempts after a non-200 (default 1 s, 5 s, 30 s; Meta: up to 7 days). */
  webhookRetryMs?: number[];
  now?: () => number;
  logger?: boolean;
}

export type MessageStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

/** A message the emulator accepted (HTTP 200 with a wamid). */
export interface EmulatedMessage {
  id: string;
  at: number;
  to: string;
  waId: string;
  type: 'text' | 'template';
  text?: string;
  template?: { name: string; language: string; params: string[] };
  callbackData?: string;
  status: MessageStatus;
  errorCode?: number;
  /** The raw request body. */
  body: Record<string, unknown>;
}

/** One POST /messages as it arrived (accepted or refused), for rate measurements. */
export interface Arrival {
  at: number;
  status: number;
  code?: number;
}

export interface WebhookDelivery {
  at: number;
  url: string;
  body: string;
  attempt: number;
  /** HTTP status of the receiver's answer (0 = no answer). */
  status: number;
  /** From the POST to the receiver's full answer. */
  ms: number;
}

export interface InboundInput {
  /** The person's phone (E.164 or digits). */
  from: string;
  text?: string;
  /** A quick-reply button tap. */
  button?: { payload: string; text?: string };
  /** The wamid of our message the person replied to. */
  context?: string;
  name?: string;
}

export type Fault = { status: number; code?: number; message?: string } | { hang: true };

export interface WhatsAppEmulatorControl {
  /** Accepted messages, oldest first. */
  messages(): EmulatedMessage[];
  /** Every POST /messages arrival (ms), refused ones too. */
  arrivals(): Arrival[];
  /** The most arrivals in any sliding 1-second window. */
  maxPerSecond(): number;
  /** A person writes to the business: a signed webhook; opens their 24 h window here. Returns the wamid. */
  inbound(input: InboundInput): Promise<string>;
  /** A `user_preferences` stop/resume webhook. */
  preference(phone: string, value: 'stop' | 'resume'): Promise<void>;
  /** The next `n` sends get this fault (an HTTP error, or `hang`: accepted and recorded, never answered). */
  failNext(n: number, fault: Fault): void;
  setWebhookUrl(url: string | undefined): void;
  templates(): Template[];
  addTemplate(t: Template): void;
  /** Every webhook POST attempt, oldest first. */
  deliveries(): WebhookDelivery[];
  /** Resolves when every scheduled status webhook has been sent (retries included, up to `timeoutMs`). */
  flush(timeoutMs?: number): Promise<void>;
  reset(): void;
}

export interface BuiltWhatsAppEmulator {
  app: FastifyInstance;
  control: WhatsAppEmulatorControl;
  config: { token: string; phoneNumberId: string; displayPhoneNumber: string; wabaId: string; appSecret: string };
}

export interface RunningWhatsAppEmulator extends BuiltWhatsAppEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}
