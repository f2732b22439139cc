// Privacy tables (src/privacy/): the consent proof record, one row per consent given with a lead (152-FZ art. 9:
// the operator proves consent; since 1 Sep 2025 a separate act). Written in the lead's own insert statement.
import { bigserial, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { leads } from './intake.js';

export const consents = pgTable(
  'consents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    account: text('account').notNull().default('default'),
    leadId: uuid('lead_id')
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    formKey: text('form_key').notNull(),
    /** What was consented to: `pd_processing` (personal data processing, 152-FZ art. 9). */
    purpose: text('purpose').notNull().default('pd_processing'),
    /** The consent text version shown (the lead's consent.text_version, else the form's consent_version, else v1). */
    textVersion: text('text_version').notNull(),
    givenAt: timestamp('given_at', { withTimezone: true }).notNull(),
    /** Null once the person was forgotten (`leadbridge forget`): the record stays as evidence, the IP does not. */
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** The capture surface (api, widget, tilda, …). */
    source: text('source').notNull(),
    anonymisedAt: timestamp('anonymised_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('consents_lead_idx').on(t.leadId)],
);

export type ConsentRow = typeof consents.$inferSelect;
