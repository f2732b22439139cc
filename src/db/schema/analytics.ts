// Analytics rollups (src/analytics owns them): one fact row per amoCRM deal and one per (deal, stage of its current
// pipeline), keyed by the deal's account like amo_deals (amoCRM ids are unique only within an account), recomputed from amo_deals + amo_deal_stages whenever a deal event names the deal (the `analytics`
// consumer of domain_events). Every value is a function of the deal's current raw rows, so replays, duplicates and
// out-of-order deliveries cannot make it drift: the last recomputation wins. Deleted deals have no rows.
import { sql } from 'drizzle-orm';
import { bigint, boolean, date, doublePrecision, index, integer, numeric, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const analyticsDeals = pgTable(
  'analytics_deals',
  {
    account: text('account').notNull().default('default'),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
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
    primaryKey({ columns: [t.account, t.amoLeadId] }),
    index('analytics_deals_pipeline_cohort_idx').on(t.pipelineId, t.cohortAt, t.isWon, t.isLost, t.statusId, t.visited),
    index('analytics_deals_cohort_idx').on(t.cohortAt, t.responsibleUserId, t.isWon, t.isLost, t.price, t.firstChangeSecs),
  ],
);

/** Deals per (account, pipeline) (the funnel's default pipeline and the picker's order), kept by the same recomputation. */
export const analyticsPipelines = pgTable(
  'analytics_pipelines',
  {
    account: text('account').notNull().default('default'),
    pipelineId: bigint('pipeline_id', { mode: 'number' }).notNull(),
    deals: integer('deals').notNull(),
  },
  (t) => [primaryKey({ columns: [t.account, t.pipelineId] })],
);

/**
 * Time per (deal, stage) of its current pipeline: closed stays summed in `closedSecs`; open stays (left_at null) as
 * a count and the sum of their entry times (epoch seconds), so "until now" is `closedSecs + openCount·now − openSum`.
 */
export const analyticsDealStages = pgTable(
  'analytics_deal_stages',
  {
    account: text('account').notNull().default('default'),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
    pipelineId: bigint('pipeline_id', { mode: 'number' }).notNull(),
    statusId: bigint('status_id', { mode: 'number' }).notNull(),
    cohortAt: timestamp('cohort_at', { withTimezone: true }).notNull(),
    closedSecs: doublePrecision('closed_secs').notNull(),
    openCount: integer('open_count').notNull(),
    openSum: doublePrecision('open_sum').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.account, t.amoLeadId, t.pipelineId, t.statusId] }),
    index('analytics_deal_stages_stage_cohort_idx').on(t.pipelineId, t.statusId, t.cohortAt, t.closedSecs, t.openCount, t.openSum),
  ],
);

// ── The lead rollup (Sources) ───────────────────────────────────────────────────────────────────────────────
// One fact row per (not spam) lead and daily (UTC) aggregates per (touch, day, source, medium, campaign, form),
// kept by the `analytics_leads` consumer (src/analytics/lead-rollup.ts): every batch recomputes the named leads'
// facts from their current `leads` / `amo_deals` rows, then recomputes every aggregate group those leads were or
// are in from the facts (never a running total). Text keys are '' for "no value" (a UTM value is never '').

export const analyticsLeadFacts = pgTable(
  'analytics_lead_facts',
  {
    leadId: uuid('lead_id').primaryKey(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** The UTC calendar day of createdAt (the aggregates' day). */
    day: date('day', { mode: 'string' }).notNull(),
    formKey: text('form_key').notNull(),
    firstSource: text('first_source').notNull(),
    firstMedium: text('first_medium').notNull(),
    firstCampaign: text('first_campaign').notNull(),
    lastSource: text('last_source').notNull(),
    lastMedium: text('last_medium').notNull(),
    lastCampaign: text('last_campaign').notNull(),
    /** leads.amo_lead_id when the facts were computed (the link delivery sets without an event; see relink). */
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }),
    /** The linked deal exists and is not deleted. */
    hasDeal: boolean('has_deal').notNull(),
    isWon: boolean('is_won').notNull(),
    price: numeric('price', { mode: 'number' }),
    commission: numeric('commission', { mode: 'number' }),
  },
  (t) => [
    index('analytics_lead_facts_created_idx').on(t.createdAt),
    index('analytics_lead_facts_amo_lead_idx').on(t.amoLeadId),
    index('analytics_lead_facts_first_idx').on(t.day, t.formKey, t.firstSource, t.firstMedium, t.firstCampaign),
    index('analytics_lead_facts_last_idx').on(t.day, t.formKey, t.lastSource, t.lastMedium, t.lastCampaign),
  ],
);

export const analyticsLeadDays = pgTable(
  'analytics_lead_days',
  {
    touch: text('touch', { enum: ['first', 'last'] }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    source: text('source').notNull(),
    medium: text('medium').notNull(),
    campaign: text('campaign').notNull(),
    formKey: text('form_key').notNull(),
    leads: integer('leads').notNull(),
    deals: integer('deals').notNull(),
    won: integer('won').notNull(),
    revenue: numeric('revenue', { mode: 'number' }).notNull(),
    commission: numeric('commission', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.touch, t.day, t.source, t.medium, t.campaign, t.formKey] })],
);

/** The commission field key the lead facts were computed with (a different configured key rebuilds them). */
export const analyticsLeadRollup = pgTable('analytics_lead_rollup', {
  id: text('id').primaryKey(),
  commissionKey: text('commission_key').notNull(),
});
