// What follow-ups need from the outside, as plain objects the composition root passes in: the two channels, the
// amoCRM client (tasks, notes, manager names) and the domain events it learns from.
import type { ExitReason } from '../config/index.js';

export type { ExitReason };

/** A channel's answer. `transient` is retried with backoff, `permanent` ends the channel for the address, `skip`
 * skips this step (with the reason), `unknown` means the message may have gone out: it is never resent. */
export type SendResult =
  | { ok: true; messageId: string; response?: string }
  | { ok: false; kind: 'transient' | 'permanent' | 'skip' | 'unknown'; code: string; message: string; retryAfterMs?: number };

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Our own Message-ID (`<…@domain>`), the same on every retry of the step. */
  messageId: string;
  /** Signed HTTPS one-click unsubscribe URL (List-Unsubscribe + List-Unsubscribe-Post). */
  unsubscribeUrl: string;
  /** Message-IDs of the earlier emails of the enrolment (threading). */
  references?: string[];
}

export interface EmailChannel {
  send(m: EmailMessage): Promise<SendResult>;
}

export interface WhatsAppMessage {
  /** E.164 phone (+79161234567). */
  to: string;
  template?: { name: string; language: string; params: string[] };
  /** Free text: the channel sends it only inside the 24 h window after the person's last message. */
  text?: string;
  /** Comes back in status webhooks (biz_opaque_callback_data): the step id. */
  callbackData: string;
}

export interface WhatsAppChannel {
  send(m: WhatsAppMessage): Promise<SendResult>;
}

export interface FollowupChannels {
  email?: EmailChannel;
  whatsapp?: WhatsAppChannel;
}

/** Payloads of the events follow-ups emit or read that the channels produce (src/events/types.ts lists them). */
export interface WhatsAppStatusPayload {
  message_id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  phone: string;
  callback_data?: string | null;
  error_code?: number | null;
  error_title?: string | null;
}

export interface WhatsAppInboundPayload {
  phone: string;
  message_id: string;
  type: string;
  text?: string | null;
  /** A "stop marketing" preference or STOP button: counts as unsubscribe, not as a reply. */
  stop?: boolean;
  context_message_id?: string | null;
}

export interface FollowupLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}
