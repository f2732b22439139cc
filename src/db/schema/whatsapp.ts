// WhatsApp channel tables (src/whatsapp/): the people we talk to (24 h window, opt-out, undeliverable), the
// messages we sent with their latest status, every signed webhook body as received, and per-item dedupe keys.
import { bigserial, bigint, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** One row per (account, wa_id): what the channel must know before sending. */
export const whatsappContacts = pgTable(
  'whatsapp_contacts',
  {
    account: text('account').notNull(),
    /** Digits only, as Meta's webhooks carry it (`79161234567`). */
    waId: text('wa_id').notNull(),
    profileName: text('profile_name'),
    /** The person's last message to us: free text is allowed for 24 h after it. */
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    /** STOP-like reply or `user_preferences: stop`; cleared by `resume`. */
    optedOutAt: timestamp('opted_out_at', { withTimezone: true }),
    /** A failed status with 131026 (not on WhatsApp, blocked us, …): no further sends. */
    undeliverableAt: timestamp('undeliverable_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.waId] })],
);

export const WHATSAPP_MESSAGE_STATUSES = ['accepted', 'sent', 'delivered', 'read', 'failed'] as const;
export type WhatsAppMessageStatus = (typeof WHATSAPP_MESSAGE_STATUSES)[number];

/** Every message Meta accepted from us (keyed by wamid), with the furthest status its webhooks reported. */
export const whatsappMessages = pgTable(
  'whatsapp_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    account: text('account').notNull(),
    /** The `messages[].id` Meta answered (`wamid.…`). */
    messageId: text('message_id').notNull(),
    phoneNumberId: text('phone_number_id'),
    /** E.164 as we sent it (null when a status arrived for a message this process did not record). */
    to: text('to'),
    waId: text('wa_id'),
    /** `template` or `text`. */
    kind: text('kind'),
    templateName: text('template_name'),
    callbackData: text('callback_data'),
    status: text('status', { enum: WHATSAPP_MESSAGE_STATUSES }).notNull().default('accepted'),
    statusAt: timestamp('status_at', { withTimezone: true }),
    errorCode: integer('error_code'),
    errorTitle: text('error_title'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('whatsapp_messages_message_id_idx').on(t.messageId), index('whatsapp_messages_callback_idx').on(t.callbackData)],
);

export const WHATSAPP_WEBHOOK_STATUSES = ['processed', 'duplicate', 'malformed'] as const;

/** Every POST /api/webhooks/whatsapp body whose signature matched, exactly as received. */
export const whatsappWebhooks = pgTable('whatsapp_webhooks', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  account: text('account').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  status: text('status', { enum: WHATSAPP_WEBHOOK_STATUSES }).notNull(),
  body: text('body').notNull(),
  /** Items applied from this body (the rest were repeats of earlier deliveries). */
  appliedCount: integer('applied_count').notNull().default(0),
  itemCount: integer('item_count').notNull().default(0),
  errorCode: text('error_code'),
});

/** One row per applied webhook item: `in:<wamid>`, `st:<wamid>:<status>`, `pref:<wa_id>:<ts>:<value>`. */
export const whatsappWebhookKeys = pgTable('whatsapp_webhook_keys', {
  key: text('key').primaryKey(),
  webhookId: bigint('webhook_id', { mode: 'number' }),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
});
