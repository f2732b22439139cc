// Delivery tables (src/delivery owns them): per-lead delivery flags, the notes outbox, the local contact index,
// the shared round-robin cursor and the cross-process amoCRM rate-limit slots.
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { leads } from './intake.js';

/** Delivery state that does not fit the outbox columns of `leads`. One row per lead that needed one. */
export const leadDeliveryFlags = pgTable('lead_delivery_flags', {
  leadId: uuid('lead_id')
    .primaryKey()
    .references(() => leads.id, { onDelete: 'cascade' }),
  /** An earlier attempt may have created the deal (timeout, reset, crash): look it up before creating again. */
  needsLookup: boolean('needs_lookup').notNull().default(false),
  /** When the first request that may have reached amoCRM left (bounds the lookup). */
  firstSentAt: timestamp('first_sent_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Notes to add to delivered deals, sent in batches (one POST /leads/notes for many deals). */
export const deliveryNotes = pgTable(
  'delivery_notes',
  {
    leadId: uuid('lead_id')
      .primaryKey()
      .references(() => leads.id, { onDelete: 'cascade' }),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
    text: text('text').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    claimedBy: text('claimed_by'),
    lastError: jsonb('last_error').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('delivery_notes_next_attempt_at_idx').on(t.nextAttemptAt)],
);

/**
 * Contacts we created or found in amoCRM, by account and normalised key (`phone:+79121234567`, `email:a@b.ru`): the
 * same phone is a different contact in another account.
 */
export const amoContactIndex = pgTable(
  'amo_contact_index',
  {
    account: text('account').notNull().default('default'),
    key: text('key').notNull(),
    amoContactId: bigint('amo_contact_id', { mode: 'number' }).notNull(),
    /** created | search | lookup */
    source: text('source').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.key] })],
);

/** Named counters shared by every process (the round-robin cursor over `routing.users`). */
export const deliveryCursors = pgTable('delivery_cursors', {
  key: text('key').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** PgRateLimitStore: the next free send slot (epoch ms) per key, shared by every process. */
export const rateLimitSlots = pgTable('rate_limit_slots', {
  key: text('key').primaryKey(),
  nextSlotMs: bigint('next_slot_ms', { mode: 'number' }).notNull(),
});
