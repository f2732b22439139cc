// Analytics rollups (src/analytics owns them): one fact row per amoCRM deal and one per (deal, stage of its current
// pipeline), recomputed from amo_deals + amo_deal_stages whenever a deal event names the deal (the `analytics`
// consumer of domain_events). Every value is a function of the deal's current raw rows, so replays, duplicates and
// out-of-order deliveries cannot make it drift: the last recomputation wins. Deleted deals have no rows.
import { sql } from 'drizzle-orm';
import { bigint, boolean, doublePrecision, index, integer, numeric, pgTable, primaryKey, timestamp } from 'drizzle-orm/pg-core';

export const analyticsDeals = pgTable(
  'analytics_deals',
  {
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).primaryKey(),
    pipelineId: bigint('pipeline_id', { mode: 'number' }),
    statusId: bigint('status_id', { mode: 'number' }),
    isWon: boolean('is_won').notNull(),
    isLost: boolean('is_lost').notNull(),
    /** The funnel / managers cohort date: amoCRM's created_at, else when we first heard of the deal. */
    cohortAt: timestamp('cohort_at', { withTimezone: true }).notNull(),
    responsibleUserId: bigint('responsible_user_id', { mode: 'number' }),
    price: numeric('price', { mode: 'number' }),
    /** Distinct stages the deal has been in within its current pipeline. */
    visited: bigint('visited', { mode: 'number' }).array().notNull().default(sql`'{}'::bigint[]`),
    /** Seconds from cohortAt to the start of the deal's second stay (its first stage change); null: never moved. */
    firstChangeSecs: doublePrecision('first_change_secs'),
  },
  // Wide keys so the funnel and the managers page read only the index (no INCLUDE in drizzle's index builder).
  (t) => [
    index('analytics_deals_pipeline_cohort_idx').on(t.pipelineId, t.cohortAt, t.isWon, t.isLost, t.statusId, t.visited),
    index('analytics_deals_cohort_idx').on(t.cohortAt, t.responsibleUserId, t.isWon, t.isLost, t.price, t.firstChangeSecs),
  ],
);

/** Deals per pipeline (the funnel's default pipeline and the picker's order), kept by the same recomputation. */
export const analyticsPipelines = pgTable('analytics_pipelines', {
  pipelineId: bigint('pipeline_id', { mode: 'number' }).primaryKey(),
  deals: integer('deals').notNull(),
});

/**
 * Time per (deal, stage) of its current pipeline: closed stays summed in `closedSecs`; open stays (left_at null) as
 * a count and the sum of their entry times (epoch seconds), so "until now" is `closedSecs + openCount·now − openSum`.
 */
export const analyticsDealStages = pgTable(
  'analytics_deal_stages',
  {
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
    pipelineId: bigint('pipeline_id', { mode: 'number' }).notNull(),
    statusId: bigint('status_id', { mode: 'number' }).notNull(),
    cohortAt: timestamp('cohort_at', { withTimezone: true }).notNull(),
    closedSecs: doublePrecision('closed_secs').notNull(),
    openCount: integer('open_count').notNull(),
    openSum: doublePrecision('open_sum').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.amoLeadId, t.pipelineId, t.statusId] }),
    index('analytics_deal_stages_stage_cohort_idx').on(t.pipelineId, t.statusId, t.cohortAt, t.closedSecs, t.openCount, t.openSum),
  ],
);
