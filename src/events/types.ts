// The typed map of every domain event: name → payload. One line per event; writers and consumers share it.
// Payload keys are snake_case (they are stored as jsonb and read by SQL as well as by code).

type Stage = { pipeline_id: number | null; status_id: number | null };

export interface DomainEvents {
  /** Intake stored a lead (not spam). */
  'lead.captured': { form: string; source?: string | null };
  /** Delivery created the lead's deal (and contact) in amoCRM. */
  'lead.delivered': { amo_lead_id: number; amo_contact_id: number | null; responsible_user_id: number | null };
  /** Delivery gave up on the lead (it needs an operator's replay). */
  'lead.dead': { reason: string };
  /** A deal appeared in amoCRM (ours or a manager's). */
  'deal.created': Stage & { responsible_user_id: number | null; source?: string };
  /** The deal moved to another stage (or pipeline). */
  'deal.stage_changed': { from: Stage; to: Stage };
  'deal.responsible_changed': { from: number | null; to: number | null };
  'deal.price_changed': { from: number | null; to: number | null };
  /** Mapped custom fields changed (keys from config). */
  'deal.fields_changed': { keys: string[] };
  'deal.won': Stage & { price: number | null };
  'deal.lost': Stage;
  'deal.deleted': Record<string, never>;
  'deal.restored': Stage;
  /**
   * The deal's stage history changed while its current state did not (a late, out-of-order observation placed in
   * the past). Analytics recomputes the deal's funnel facts on it.
   */
  'deal.history_changed': {
    /** The first stage of the deal's history (its creation stage) and its current stage; null when unknown. */
    first_stage?: { pipeline_id: number | null; status_id: number | null } | null;
    stage?: { pipeline_id: number | null; status_id: number | null } | null;
  };
  /** A contact or company was added or changed in amoCRM. */
  'contact.changed': { amo_contact_id: number; kind: string; action: string; lead_ids: number[]; phones?: string[]; emails?: string[] };
  'contact.deleted': { amo_contact_id: number; kind: string };
  /** A WhatsApp message from a person (src/whatsapp): ends sequences that exit on reply, opens the 24 h window. */
  'whatsapp.inbound': { phone: string; message_id: string; type: string; text?: string | null; stop?: boolean; context_message_id?: string | null };
  /** A status webhook for a message we sent (sent/delivered/read/failed, with the Cloud API error code). */
  /** A person was forgotten (src/privacy): what was matched by and how many rows per table changed; never who. */
  'privacy.erased': { by: ('phone' | 'email')[]; leads: number; tables: Record<string, number> };
  'whatsapp.status': { message_id: string; status: 'sent' | 'delivered' | 'read' | 'failed'; phone: string; callback_data?: string | null; error_code?: number | null; error_title?: string | null };
}

export type EventName = keyof DomainEvents;

/** An event as a consumer receives it. */
export interface DomainEvent<K extends EventName = EventName> {
  id: number;
  /** The writer's transaction id (xid8, decimal). Events are read in (txId, id) order. */
  txId: string;
  account: string;
  type: K;
  payload: DomainEvents[K];
  leadId: string | null;
  amoLeadId: number | null;
  occurredAt: Date;
  createdAt: Date;
}

/** What a writer hands to `emit`. */
export type NewEvent = {
  [K in EventName]: {
    type: K;
    payload: DomainEvents[K];
    /** Default 'default' (one account per install today). */
    account?: string;
    leadId?: string | null;
    amoLeadId?: number | null;
    /** Default: now. */
    occurredAt?: Date;
  };
}[EventName];
