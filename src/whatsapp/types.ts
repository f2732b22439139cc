// The channel contract the follow-up engine builds on (identical copy in the engine), plus the Cloud API wire
// shapes this module sends and parses (cut down to the keys we use; fact sheet §1, §4, §5).

/**
 * The outcome of one send. `code` is stable: the Cloud API error code as a string (`'131026'`, `'130429'`) for
 * Graph errors, or one of ours: `outside_24h_window`, `opted_out`, `undeliverable`, `invalid_phone`,
 * `invalid_message`, `network`, `timeout`, `http_<status>`, `bad_response`, `local_error`.
 */
export type SendResult =
  | { ok: true; messageId: string; response?: string }
  | { ok: false; kind: 'transient' | 'permanent' | 'skip' | 'unknown'; code: string; message: string; retryAfterMs?: number };
export interface WhatsAppMessage {
  to: string;                 // E.164 phone (+79161234567)
  template?: { name: string; language: string; params: string[] };
  text?: string;              // free text: sent only inside the 24 h window after the person's last inbound message, else { ok:false, kind:'skip', code:'outside_24h_window' }
  callbackData: string;       // biz_opaque_callback_data: the step id, comes back in status webhooks
}
export interface WhatsAppChannel { send(m: WhatsAppMessage): Promise<SendResult>; }

/** The Graph error envelope (§5.1). */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { messaging_product?: string; details?: string };
  fbtrace_id?: string;
}

/** POST /{version}/{phone-number-id}/messages → 200 (§1.3). */
export interface SendResponse {
  messaging_product?: 'whatsapp';
  contacts?: { input: string; wa_id: string }[];
  messages?: { id: string; message_status?: string }[];
}

/** One error object of a failed status or of `value.errors` (§4.3). */
export interface WebhookError {
  code: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
  href?: string;
}

export interface WebhookStatus {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'played' | string;
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  errors?: WebhookError[];
  pricing?: { billable?: boolean; pricing_model?: string; type?: string; category?: string };
}

export interface WebhookInbound {
  from: string;
  id: string;
  timestamp: string;
  type: string;
  text?: { body: string };
  button?: { payload?: string; text?: string };
  interactive?: { type?: string; button_reply?: { id: string; title: string }; list_reply?: { id: string; title: string; description?: string } };
  context?: { from?: string; id?: string };
  referral?: Record<string, unknown>;
}

export interface WebhookUserPreference {
  wa_id: string;
  detail?: string;
  category?: string;
  value: 'stop' | 'resume' | string;
  timestamp: number | string;
}

export interface WebhookValue {
  messaging_product?: 'whatsapp';
  metadata?: { display_phone_number?: string; phone_number_id?: string };
  contacts?: { wa_id: string; profile?: { name?: string } }[];
  statuses?: WebhookStatus[];
  messages?: WebhookInbound[];
  user_preferences?: WebhookUserPreference[];
  errors?: WebhookError[];
}

/** The POST body Meta sends (§4.3). */
export interface WebhookPayload {
  object: 'whatsapp_business_account' | string;
  entry: { id: string; changes: { field: string; value: WebhookValue }[] }[];
}
