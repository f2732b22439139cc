// Webhook sync tables: raw deliveries (inbox), per-event dedupe keys, local amoCRM deal/contact state, the
// stage history and the reconciliation cursors (domain_events lives in events.ts).
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'processed', 'duplicate', 'malformed', 'rejected', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Every webhook body we accepted past the secret check, exactly as received. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The amoCRM account (connection key) whose webhook URL received it: its processor applies it. */
    account: text('account').notNull().default('default'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    contentType: text('content_type'),
    body: text('body').notNull(),
    /** sha256 of the raw body: identical re-deliveries are marked `duplicate`. */
    bodyHash: text('body_hash').notNull(),
    accountId: bigint('account_id', { mode: 'number' }),
    subdomain: text('subdomain'),
    /** Machine-readable reason for malformed / rejected / failed. */
    errorCode: text('error_code'),
    error: text('error'),
    eventCount: integer('event_count'),
    appliedCount: integer('applied_count'),
    attempts: integer('attempts').notNull().default(0),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    /**
     * Key of the receive-journal entry this row was stored from (src/webhooks/journal.ts), null when stored
     * directly: unique, so a journal entry replayed after a crash is stored at most once.
     */
    journalKey: text('journal_key'),
  },
  (t) => [
    // The processor's claim (an account's pending rows, oldest first) and the dashboard's pending count: a small index.
    index('webhook_deliveries_pending_idx').on(t.account, t.id).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_body_hash_idx').on(t.bodyHash),
    uniqueIndex('webhook_deliveries_journal_key_idx').on(t.journalKey),
  ],
);

/**
 * One row per applied event of an account (dedupeKey for webhooks, `event:<id>` for the events API): both name
 * amoCRM ids, which are unique only within the account.
 */
export const webhookEventKeys = pgTable(
  'webhook_event_keys',
  {
    account: text('account').notNull().default('default'),
    key: text('key').notNull(),
    deliveryId: bigint('delivery_id', { mode: 'number' }),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.key] })],
);

/** A custom field value set as amoCRM sent it (by field id). */
export interface AmoFieldValue {
  id: number;
  name?: string;
  code?: string;
  values: { value: string | number | boolean | null; enum?: number }[];
}

/**
 * Local copy of every amoCRM deal we heard of (created by Leadbridge or directly in amoCRM), keyed by (account,
 * amoCRM id): amoCRM ids are unique only within an account.
 */
export const amoDeals = pgTable(
  'amo_deals',
  {
    /** The amoCRM account (connection key) the deal belongs to. */
    account: text('account').notNull().default('default'),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
    /** Our `leads` row when the deal was delivered by Leadbridge. */
    leadId: uuid('lead_id'),
    name: text('name'),
    pipelineId: bigint('pipeline_id', { mode: 'number' }),
    statusId: bigint('status_id', { mode: 'number' }),
    responsibleUserId: bigint('responsible_user_id', { mode: 'number' }),
    price: numeric('price', { mode: 'number' }),
    /**
     * Mapped fields by config key (`object`, `object_cost`, `commission`, `payment_status`, `utm_source`, …) → value
     * (text, number or list), as amoCRM sent it. Business fields live here only, read by their configured key.
     */
    fields: jsonb('fields').$type<Record<string, unknown>>().notNull().default({}),
    /** Every custom field value as last seen, keyed by field id. */
    customFields: jsonb('custom_fields').$type<Record<string, AmoFieldValue>>().notNull().default({}),
    contactIds: jsonb('contact_ids').$type<number[]>().notNull().default([]),
    isWon: boolean('is_won').notNull().default(false),
    isLost: boolean('is_lost').notNull().default(false),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    isDeleted: boolean('is_deleted').notNull().default(false),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    amoCreatedAt: timestamp('amo_created_at', { withTimezone: true }),
    /** amoCRM's updated_at / last_modified of the state we hold: older observations never overwrite it. */
    amoUpdatedAt: timestamp('amo_updated_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.account, t.amoLeadId] }),
    index('amo_deals_stage_idx').on(t.pipelineId, t.statusId),
    index('amo_deals_lead_id_idx').on(t.leadId),
    // Analytics (funnel, managers) select deals by creation date.
    index('amo_deals_created_idx').on(sql`coalesce(${t.amoCreatedAt}, ${t.createdAt})`),
  ],
);

/** Contacts and companies (kind) as amoCRM last told us, keyed by (account, amoCRM id). */
export const amoContacts = pgTable(
  'amo_contacts',
  {
    account: text('account').notNull().default('default'),
    amoContactId: bigint('amo_contact_id', { mode: 'number' }).notNull(),
    kind: text('kind', { enum: ['contact', 'company'] }).notNull().default('contact'),
    name: text('name'),
    responsibleUserId: bigint('responsible_user_id', { mode: 'number' }),
    customFields: jsonb('custom_fields').$type<Record<string, AmoFieldValue>>().notNull().default({}),
    leadIds: jsonb('lead_ids').$type<number[]>().notNull().default([]),
    isDeleted: boolean('is_deleted').notNull().default(false),
    amoUpdatedAt: timestamp('amo_updated_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.amoContactId] })],
);

/** One row per stay of a deal in a stage: [entered_at, left_at). left_at null = current stage. */
export const amoDealStages = pgTable(
  'amo_deal_stages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The deal's account (amo_deals.account). */
    account: text('account').notNull().default('default'),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
    pipelineId: bigint('pipeline_id', { mode: 'number' }).notNull(),
    statusId: bigint('status_id', { mode: 'number' }).notNull(),
    enteredAt: timestamp('entered_at', { withTimezone: true }).notNull(),
    leftAt: timestamp('left_at', { withTimezone: true }),
    /** webhook | reconcile */
    source: text('source').notNull(),
  },
  (t) => [index('amo_deal_stages_lead_entered_idx').on(t.account, t.amoLeadId, t.enteredAt)],
);

/** Reconciliation cursors per account ((account, name) → last amoCRM event created_at seen). */
export const amoSyncCursors = pgTable(
  'amo_sync_cursors',
  {
    account: text('account').notNull().default('default'),
    name: text('name').notNull(),
    cursor: bigint('cursor', { mode: 'number' }).notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('amo_sync_cursors_account_name_uq').on(t.account, t.name)],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AmoDealRow = typeof amoDeals.$inferSelect;
export type NewAmoDealRow = typeof amoDeals.$inferInsert;
export type AmoContactRow = typeof amoContacts.$inferSelect;
export type AmoDealStageRow = typeof amoDealStages.$inferSelect;
