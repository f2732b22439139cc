// Routing tables (src/routing owns them): one rotation row per pool (locked while deciding, so processes on one
// PostgreSQL share one fair rotation), per-manager daily counts, every decision with its reasons and take-up
// deadline, and the manager of each returning contact (by a hash of its phone/email, never the value).
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const routingRotations = pgTable(
  'routing_rotations',
  {
    account: text('account').notNull(),
    poolKey: text('pool_key').notNull(),
    /** { next?: round-robin position, scores?: smooth weighted round-robin scores by user id } */
    state: jsonb('state').$type<{ next?: number; scores?: Record<string, number> }>().notNull().default(sql`'{}'::jsonb`),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.poolKey] })],
);

export const routingDailyCounts = pgTable(
  'routing_daily_counts',
  {
    account: text('account').notNull(),
    userId: bigint('user_id', { mode: 'number' }).notNull(),
    /** The manager's local date (their time zone), YYYY-MM-DD. */
    day: text('day').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.account, t.userId, t.day] })],
);

export interface RoutingReassignment {
  at: string;
  from: number | null;
  to: number | null;
  manager: string | null;
  reason: string;
  skipped: unknown[];
  task_id: number | null;
}

export const routingDecisions = pgTable(
  'routing_decisions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    account: text('account').notNull(),
    leadId: uuid('lead_id').notNull(),
    rule: text('rule'),
    strategy: text('strategy'),
    /** assigned | sticky | fallback | unassigned */
    outcome: text('outcome').notNull(),
    userId: bigint('user_id', { mode: 'number' }),
    manager: text('manager'),
    managerName: text('manager_name'),
    reason: text('reason').notNull(),
    skipped: jsonb('skipped').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    fallback: text('fallback'),
    poolKey: text('pool_key'),
    /** Take-up deadline: the deal must leave its first stage by then, or it is reassigned once. */
    takeUpDueAt: timestamp('take_up_due_at', { withTimezone: true }),
    /** pending | checking | taken | reassigned | kept | gone */
    takeUpState: text('take_up_state'),
    takeUpCheckedAt: timestamp('take_up_checked_at', { withTimezone: true }),
    reassignments: jsonb('reassignments').$type<RoutingReassignment[]>().notNull().default(sql`'[]'::jsonb`),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('routing_decisions_lead_id_uq').on(t.leadId), index('routing_decisions_take_up_idx').on(t.takeUpState, t.takeUpDueAt)],
);

export const routingContactOwners = pgTable(
  'routing_contact_owners',
  {
    account: text('account').notNull(),
    /** sha256 of a normalised contact key (`phone:+7…`, `email:…`). */
    keyHash: text('key_hash').notNull(),
    userId: bigint('user_id', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.keyHash] })],
);

export type RoutingDecisionRow = typeof routingDecisions.$inferSelect;
