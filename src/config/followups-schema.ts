// The `sequences:` and `followups:` sections of leadbridge.yaml (docs/followups.md). Kept as parsed here
// (snake_case); src/followups compiles them (templates from files, stage keys → amoCRM ids) when it starts.
import { z } from 'zod';

const Ref = z.union([z.string().min(1).max(200), z.number().int().positive()]);
/** `90s`, `30m`, `2h`, `1d`, `1d12h` or a number of seconds. */
export const DurationSchema = z.union([
  z.number().int().min(0),
  z.string().regex(/^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/, 'a duration like 90s, 30m, 2h, 1d or 1d12h').refine((s) => s.length > 0, 'empty duration'),
]);
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM');
const QuietHours = z.object({ start: Clock, end: Clock }).strict();
/** Inline Mustache text, or `{ file: relative/to/the/config.mustache }`. */
const TemplateText = z.union([z.string().min(1).max(100_000), z.object({ file: z.string().min(1).max(500) }).strict()]);

const WaitStep = z.object({ wait: z.union([DurationSchema, z.object({ until: Clock }).strict()]) }).strict();
const EmailStep = z
  .object({
    email: z
      .object({ subject: z.string().min(1).max(500), text: TemplateText, html: TemplateText.optional() })
      .strict(),
  })
  .strict();
const WhatsAppStep = z
  .object({
    whatsapp: z.union([
      z
        .object({
          template: z.string().min(1).max(512),
          language: z.string().min(2).max(15).default('ru'),
          /** Body parameters in order (Mustache each). */
          params: z.array(z.string().max(1024)).default([]),
        })
        .strict(),
      /** Free text: only sent inside the 24 h window after the person's last message. */
      z.object({ text: z.string().min(1).max(4096) }).strict(),
    ]),
  })
  .strict();
const TaskStep = z
  .object({
    task: z
      .object({
        text: z.string().min(1).max(2000),
        /** Due this long after the step runs (default 1h). */
        due: DurationSchema.default('1h'),
        /** amoCRM task type: 1 = call (default), 2 = meeting, 3 = letter. */
        type: z.number().int().positive().default(1),
      })
      .strict(),
  })
  .strict();
export const StepSchema = z.union([WaitStep, EmailStep, WhatsAppStep, TaskStep]);

export const EXIT_REASONS = ['left_stage', 'won', 'lost', 'replied', 'unsubscribed', 'undeliverable', 'stopped'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

const Trigger = z.union([
  z.object({ lead_captured: z.object({ forms: z.array(z.string().min(1)).optional() }).strict().default({}) }).strict(),
  z.object({ deal_entered: z.object({ pipeline: Ref.optional(), stage: Ref }).strict() }).strict(),
  z.object({ deal_idle: z.object({ pipeline: Ref.optional(), stage: Ref, after: DurationSchema }).strict() }).strict(),
]);

export const SequenceSchema = z
  .object({
    title: z.string().min(1).max(200).optional(),
    enabled: z.boolean().default(true),
    trigger: Trigger,
    steps: z.array(StepSchema).min(1).max(50),
    timezone: z.string().min(1).max(64).optional(),
    quiet_hours: z.union([QuietHours, z.literal(false)]).optional(),
    /** Exits checked before every step. Default: all but `left_stage`, plus `left_stage` for stage triggers. */
    exit_on: z.array(z.enum(EXIT_REASONS)).optional(),
    /** Enrol the same person again on a new trigger (default false: once per person). */
    reenrol: z.boolean().default(false),
  })
  .strict();

const OptIn = z.enum(['always', 'consent', 'never']);
export const FollowupsSettingsSchema = z
  .object({
    timezone: z.string().min(1).max(64).default('Europe/Moscow'),
    quiet_hours: z.union([QuietHours, z.literal(false)]).default({ start: '21:00', end: '09:00' }),
    /** Messages (email + WhatsApp) to one person per local day, over all sequences. */
    daily_cap: z.number().int().min(1).max(100).default(3),
    /** Transient failures are retried this often before the step fails. */
    max_attempts: z.number().int().min(1).max(50).default(8),
    /** Opt-in per form (`*` = every other form): email needs an address, WhatsApp a phone and (by default) consent. */
    opt_in: z
      .record(z.string().min(1).max(64), z.object({ email: OptIn.default('always'), whatsapp: OptIn.default('consent') }).strict())
      .default({}),
    email: z
      .object({
        /** Messages per second through the SMTP pool (nodemailer rateLimit). */
        rate_per_second: z.number().positive().max(1000).default(5),
        max_connections: z.number().int().min(1).max(50).default(2),
      })
      .strict()
      .default({ rate_per_second: 5, max_connections: 2 }),
    whatsapp: z
      .object({
        graph_version: z.string().regex(/^v\d+\.\d+$/).default('v23.0'),
        /** Sends per second per phone number; the Cloud API allows 80 (fact sheet §6). */
        rate_per_second: z.number().positive().max(1000).default(20),
      })
      .strict()
      .default({ graph_version: 'v23.0', rate_per_second: 20 }),
  })
  .strict();

export type SequenceFile = z.output<typeof SequenceSchema>;
export type StepFile = z.output<typeof StepSchema>;
export type FollowupsSettingsFile = z.output<typeof FollowupsSettingsSchema>;
export const SEQUENCE_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;
