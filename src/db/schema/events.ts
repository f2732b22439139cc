// The events module's tables (src/events/): the domain_events log every domain writes in its own transaction,
// and one cursor per consumer. Read rules are in src/events/consume.ts.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, customType, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit transaction id (`xid8`, PostgreSQL ≥ 13). Carried as a decimal string. */
export const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => 'xid8',
});

/**
 * The log other modules (follow-ups, routing, analytics, the contact index) consume: written in the same transaction
 * as the state change it describes. `tx_id` is the writer's transaction id, so a reader can take only events of
 * transactions that can no longer commit (below the oldest running one) and never skips a slow writer.
 */
export const domainEvents = pgTable(
  'domain_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The amoCRM account (connection key) the event belongs to. */
    account: text('account').notNull().default('default'),
    type: text('type').notNull(),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }),
    leadId: uuid('lead_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** When it happened (amoCRM's time for amoCRM changes), not when we learnt it. */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    txId: xid8('tx_id').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    index('domain_events_type_idx').on(t.type, t.id),
    index('domain_events_tx_idx').on(t.txId, t.id),
  ],
);

/** One row per consumer: the (tx_id, id) of the last event it has applied. */
export const eventCursors = pgTable('event_cursors', {
  consumer: text('consumer').primaryKey(),
  lastTx: xid8('last_tx').notNull().default(sql`'0'::xid8`),
  lastId: bigint('last_id', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type DomainEventRow = typeof domainEvents.$inferSelect;
