// Intake tables: leads (business row + delivery outbox columns), lead_events (delivery timeline), app_settings.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Where a lead came from (the capture surface that stored it). */
export const LEAD_SOURCES = ['api', 'widget', 'tilda', 'generic', 'google_ads', 'meta'] as const;
export type LeadSource = (typeof LEAD_SOURCES)[number];

export const LEAD_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'dead', 'spam', 'held'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/** utm_*, click ids, referrer, landing page, first/last touch — snake_case keys as submitted. */
export type Attribution = Record<string, string | Record<string, string>>;

export interface Consent {
  given: boolean;
  text_version?: string;
  /** ISO time the visitor gave consent (the submit time when the form did not send one). */
  at?: string;
  ip?: string;
}

/**
 * The lead's last-touch utm_source as the dashboard reads it (src/analytics/sql.ts `touchValue('last', …)` builds the
 * same text, so the planner matches the index).
 */
export const LAST_SOURCE =
  "nullif(case when jsonb_typeof(attribution -> 'last_touch') = 'object' then attribution -> 'last_touch' ->> 'utm_source' else attribution ->> 'utm_source' end, '')";

export const leads = pgTable(
  'leads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The amoCRM account (connection key) the lead is delivered to; its amo_lead_id / amo_contact_id are that account's. */
    account: text('account').notNull().default('default'),
    formKey: text('form_key').notNull(),
    /** The capture surface: api (POST /api/leads, /api/crm), widget, tilda, generic, google_ads, meta. */
    source: text('source', { enum: LEAD_SOURCES }).notNull().default('api'),
    /** The API key (its name in `api_keys`) a server-to-server caller sent; null for anonymous posts. */
    sourceKey: text('source_key'),
    status: text('status', { enum: LEAD_STATUSES }).notNull().default('pending'),
    idempotencyKey: text('idempotency_key'),
    name: text('name'),
    phone: text('phone'),
    email: text('email'),
    message: text('message'),
    extra: jsonb('extra').$type<Record<string, unknown>>().notNull().default({}),
    raw: jsonb('raw').$type<Record<string, unknown>>().notNull().default({}),
    attribution: jsonb('attribution').$type<Attribution>().notNull().default({}),
    consent: jsonb('consent').$type<Consent>(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    // Outbox columns, owned by the delivery worker.
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    claimedBy: text('claimed_by'),
    lastError: jsonb('last_error').$type<Record<string, unknown>>(),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }),
    amoContactId: bigint('amo_contact_id', { mode: 'number' }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    responsibleUserId: bigint('responsible_user_id', { mode: 'number' }),
  },
  (t) => [
    // Idempotency: one lead per (form, key). NULL keys never collide (plain unique index semantics).
    uniqueIndex('leads_form_key_idempotency_key_uq').on(t.formKey, t.idempotencyKey),
    index('leads_status_next_attempt_at_idx').on(t.status, t.nextAttemptAt),
    // With status: the dashboard's counts by day read only the index.
    index('leads_created_at_idx').on(t.createdAt, t.status),
    // Webhook sync links amoCRM deals back to our leads by (account, amo_lead_id); the dashboard's search finds a
    // lead by its deal id alone, so the account is not the leading column (it is one value per install today).
    index('leads_amo_lead_id_idx').on(t.amoLeadId, t.account),
    // Dashboard lead list (src/analytics/sql.ts): filters by form and last-touch utm_source, newest first, and the
    // search — phone by its first or last digits, email by its start, name by the start of any word.
    index('leads_form_created_idx').on(t.formKey, t.createdAt),
    index('leads_last_source_idx').on(sql.raw(LAST_SOURCE), t.formKey, t.createdAt),
    index('leads_phone_prefix_idx').on(sql`${t.phone} text_pattern_ops`),
    index('leads_phone_suffix_idx').on(sql`reverse(${t.phone}) text_pattern_ops`),
    index('leads_email_prefix_idx').on(sql`lower(${t.email}) text_pattern_ops`),
    index('leads_name_words_idx').using('gin', sql`to_tsvector('simple', coalesce(${t.name}, ''))`),
  ],
);

export const leadEvents = pgTable(
  'lead_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    leadId: uuid('lead_id')
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    type: text('type').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  // The second index serves analytics (delivery failures by reason over a date range).
  (t) => [index('lead_events_lead_id_at_idx').on(t.leadId, t.at), index('lead_events_type_at_idx').on(t.type, t.at)],
);

/** Generated secrets and small settings (key → value). */
export const appSettings = pgTable('app_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type LeadRow = typeof leads.$inferSelect;
export type NewLeadRow = typeof leads.$inferInsert;
export type LeadEventRow = typeof leadEvents.$inferSelect;
