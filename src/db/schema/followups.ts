// Follow-up tables: enrolments (a person in a sequence), their durable step runs (claimed with SKIP LOCKED),
// the deal projection built from domain events, per-address suppressions, the notes outbox and signing keys.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const ENROLMENT_STATUSES = ['active', 'completed', 'exited'] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];
export const STEP_STATUSES = ['scheduled', 'claimed', 'sending', 'sent', 'delivered', 'read', 'done', 'failed', 'skipped', 'unknown', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** What we know of the person at enrolment (from the lead), used to address and render every step. */
export interface EnrolmentVars {
  name: string | null;
  email: string | null;
  phone: string | null;
  form: string | null;
  formTitle: string | null;
  fields: Record<string, unknown>;
  /** Opt-in per channel, decided at enrolment from the form's opt_in rule and the lead's consent. */
  optIn: { email: boolean; whatsapp: boolean };
}

export const followupEnrolments = pgTable(
  'followup_enrolments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    account: text('account').notNull().default('default'),
    sequenceKey: text('sequence_key').notNull(),
    leadId: uuid('lead_id'),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }),
    /** Lower-case email, else the phone, else the lead or deal id: "the same person" for enrol-once. */
    personKey: text('person_key').notNull(),
    /** `sequence:person` (enrol once) or `sequence:person:event` (re-enrolment allowed). */
    dedupeKey: text('dedupe_key').notNull(),
    status: text('status', { enum: ENROLMENT_STATUSES }).notNull().default('active'),
    exitReason: text('exit_reason'),
    exitDetail: text('exit_detail'),
    /** The stage a stage-triggered enrolment is about: { pipeline_id, status_id } (null for lead_captured). */
    stage: jsonb('stage').$type<{ pipeline_id: number | null; status_id: number } | null>(),
    vars: jsonb('vars').$type<EnrolmentVars>().notNull(),
    nextStep: integer('next_step').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('followup_enrolments_dedupe_uq').on(t.account, t.dedupeKey),
    index('followup_enrolments_lead_idx').on(t.leadId),
    index('followup_enrolments_amo_lead_idx').on(t.amoLeadId),
    index('followup_enrolments_person_idx').on(t.personKey, t.status),
  ],
);

/** One row per step run (email, WhatsApp, task); waits are folded into the next row's due_at. */
export const followupSteps = pgTable(
  'followup_steps',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    enrolmentId: uuid('enrolment_id').notNull(),
    stepIndex: integer('step_index').notNull(),
    kind: text('kind', { enum: ['email', 'whatsapp', 'task'] }).notNull(),
    status: text('status', { enum: STEP_STATUSES }).notNull().default('scheduled'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    claimedBy: text('claimed_by'),
    /** Set (and committed) just before the channel is called: a crash after this is an unknown outcome. */
    sendingAt: timestamp('sending_at', { withTimezone: true }),
    /** Our Message-ID (email), the wamid (WhatsApp), the task id (amoCRM). */
    messageId: text('message_id'),
    /** Subject / template name / task text, for the lead view and the note. */
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    reason: text('reason'),
    error: jsonb('error').$type<Record<string, unknown>>(),
    doneAt: timestamp('done_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('followup_steps_enrolment_step_uq').on(t.enrolmentId, t.stepIndex),
    index('followup_steps_due_idx').on(t.status, t.dueAt),
    index('followup_steps_message_idx').on(t.messageId),
  ],
);

/** The deals follow-ups heard of, built only from domain events (deal.*); amoCRM ids are unique per account. */
export const followupDeals = pgTable(
  'followup_deals',
  {
  account: text('account').notNull().default('default'),
  amoLeadId: bigint('amo_lead_id', { mode: 'number' }).notNull(),
  leadId: uuid('lead_id'),
  pipelineId: bigint('pipeline_id', { mode: 'number' }),
  statusId: bigint('status_id', { mode: 'number' }),
  responsibleUserId: bigint('responsible_user_id', { mode: 'number' }),
  stageEnteredAt: timestamp('stage_entered_at', { withTimezone: true }),
  /** won | lost | deleted | null */
  closed: text('closed'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.amoLeadId] }), index('followup_deals_lead_idx').on(t.leadId)],
);

/** An address that must get no more messages on a channel: unsubscribed, bounced, undeliverable. */
export const followupSuppressions = pgTable(
  'followup_suppressions',
  {
    account: text('account').notNull().default('default'),
    channel: text('channel', { enum: ['email', 'whatsapp'] }).notNull(),
    address: text('address').notNull(),
    reason: text('reason').notNull(),
    detail: text('detail'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.account, t.channel, t.address] })],
);

/** Notes for the amoCRM deal (a message sent, a reply received), sent in batches by the notes lane. */
export const followupNotes = pgTable(
  'followup_notes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    account: text('account').notNull().default('default'),
    leadId: uuid('lead_id'),
    amoLeadId: bigint('amo_lead_id', { mode: 'number' }),
    text: text('text').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    lastError: jsonb('last_error').$type<Record<string, unknown>>(),
    noteId: bigint('note_id', { mode: 'number' }),
    doneAt: timestamp('done_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('followup_notes_due_idx').on(t.doneAt, t.nextAttemptAt)],
);

/** Generated secrets of the follow-ups domain (the unsubscribe link key when LEADBRIDGE_SECRET_KEY is unset). */
export const followupKeys = pgTable('followup_keys', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type FollowupEnrolmentRow = typeof followupEnrolments.$inferSelect;
export type FollowupStepRow = typeof followupSteps.$inferSelect;
export type FollowupDealRow = typeof followupDeals.$inferSelect;
