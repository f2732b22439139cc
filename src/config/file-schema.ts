// The YAML config file (leadbridge.yaml): forms → pipeline/stage/fields, routing, delivery, CORS, limits.
// snake_case in the file, camelCase in the typed Config. Documented in docs/configuration.md.
import { z } from 'zod';
import { RoutingSectionSchema } from '../routing/index.js';
import { CaptureFormSchema } from './capture-schema.js';
import { FollowupsSettingsSchema, SEQUENCE_KEY, SequenceSchema } from './followups-schema.js';
import { ProvisionSpecSchema } from '../provision/index.js';
import { CONTACT_LOOKUPS } from './types.js';
import { DEFAULT_SAFETY_MARGIN } from '../amocrm/index.js';

const FORM_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A pipeline/stage/field reference: a key from `account:`, a numeric amoCRM id, or (fields only) a field code. */
const Ref = z.union([z.string().min(1).max(200), z.number().int().positive()]);

const FieldMappingSchema = z
  .object({
    entity: z.enum(['leads', 'contacts']).default('leads'),
    field: Ref,
    /** For select/multiselect fields: map submitted values to enum keys/ids (optional). */
    enums: z.record(z.string(), Ref).optional(),
  })
  .strict();

const FormSchema = z
  .object({
    title: z.string().min(1).max(200).optional(),
    pipeline: Ref.optional(),
    stage: Ref.optional(),
    mode: z.enum(['complex', 'unsorted']).default('complex'),
    deal_name: z.string().min(1).max(500).default('{{form_title}}: {{name}}'),
    tags: z.array(z.string().min(1).max(100)).default([]),
    fields: z.record(z.string().min(1).max(64), FieldMappingSchema).default({}),
    /** Lead values to keep in `extra` besides the ones listed in `fields`. */
    extra_fields: z.array(z.string().min(1).max(64)).default([]),
    note: z.boolean().default(true),
    /** Mustache template of this form's note (default: `notes.template`). */
    note_template: z.string().min(1).max(8000).optional(),
    honeypot: z.string().min(1).max(64).optional(),
    /** The consent text version recorded for this form's leads when the lead names none (docs/privacy.md). */
    consent_version: z.string().min(1).max(100).optional(),
    // Capture: widget definition, allowed origins, source adapters (capture-schema.ts, docs/capture.md).
    ...CaptureFormSchema,
  })
  .strict();

export const FileConfigSchema = z
  .object({
    defaults: z
      .object({
        country: z.string().length(2).optional(),
        /** The amoCRM account's time zone (IANA): times in notes for managers. */
        time_zone: z.string().min(1).max(64).optional(),
        /** Language of notes for managers: ru (default) or en. */
        locale: z.enum(['ru', 'en']).optional(),
      })
      .strict()
      .default({}),
    /** The form that takes leads naming none (POST /api/leads without `form`). Default: `default`, or the only form. */
    default_form: z.string().regex(FORM_KEY).optional(),
    /** Notes for managers added to each deal (docs/configuration.md#notes). */
    notes: z.object({ template: z.string().min(1).max(8000).optional() }).strict().default({}),
    /** Server-to-server callers (a site backend forwarding every visitor): a key each, with its own limit. */
    api_keys: z
      .array(
        z
          .object({
            name: z.string().regex(FORM_KEY, 'api key names are lower-case letters, digits, - and _'),
            /** Name of the environment variable holding the key (keys are secrets: never in this file)… */
            key_env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name like LEADBRIDGE_KEY_SITE').optional(),
            /** …or the key's SHA-256 (hex), so the file holds only a hash: printf %s "$KEY" | sha256sum */
            key_sha256: z.string().regex(/^[0-9a-f]{64}$/i, '64 hex characters (printf %s "$KEY" | sha256sum)').optional(),
            per_minute: z.number().int().min(1).max(1_000_000).default(6000),
          })
          .strict()
          .refine((k) => (k.key_env === undefined) !== (k.key_sha256 === undefined), 'give exactly one of key_env (the variable holding the key) or key_sha256'),
      )
      .default([])
      .refine((keys) => new Set(keys.map((k) => k.name)).size === keys.length, 'api key names must be unique'),
    /** How long raw webhook bodies and spam leads are kept (days; 0 = forever). */
    retention: z
      .object({
        raw_webhook_days: z.number().int().min(0).max(3650).default(30),
        spam_days: z.number().int().min(0).max(3650).default(30),
      })
      .strict()
      .default({ raw_webhook_days: 30, spam_days: 30 }),
    /** One info line per amoCRM call (method, path, status, ms, request id; never personal data). */
    audit: z.object({ amocrm_calls: z.boolean().default(true) }).strict().default({ amocrm_calls: true }),
    forms: z
      .record(z.string().regex(FORM_KEY, 'form keys are lower-case letters, digits, - and _ (max 64)'), FormSchema)
      .default({}),
    // Manager routing (docs/routing.md); `routing: { users: [...] }` alone is a default round-robin rule.
    routing: RoutingSectionSchema,
    delivery: z
      .object({
        batch_size: z.number().int().min(1).max(250).default(50),
        max_attempts: z.number().int().min(1).max(100).default(10),
        rate_per_second: z.number().positive().max(50).default(7),
        // Send slots are spaced this much wider than 1/rate, so arrival jitter cannot put rate + 1 requests into one
        // second at amoCRM (docs/delivery.md, "Rate limit").
        rate_margin: z.number().min(0).max(0.9).default(DEFAULT_SAFETY_MARGIN),
        // How a lead's contact is matched to an existing amoCRM contact (docs/delivery.md).
        contact_lookup: z.enum(CONTACT_LOOKUPS).default('search'),
      })
      .strict()
      .default({ batch_size: 50, max_attempts: 10, rate_per_second: 7, rate_margin: DEFAULT_SAFETY_MARGIN, contact_lookup: 'search' }),
    /** The dashboard's analytics: which mapped deal field (a key of `account.fields.leads`) is the commission. */
    analytics: z
      .object({ commission_field: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a deal field key like commission').default('commission') })
      .strict()
      .default({ commission_field: 'commission' }),
    cors: z.object({ origins: z.array(z.string().min(1)).default(['*']) }).strict().default({ origins: ['*'] }),
    rate_limit: z
      .object({ per_ip_per_minute: z.number().int().min(1).max(100_000).default(30) })
      .strict()
      .default({ per_ip_per_minute: 30 }),
    intake: z
      .object({
        honeypot: z.string().min(1).max(64).default('website'),
        body_limit_bytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
        trust_proxy: z.boolean().default(false),
      })
      .strict()
      .default({ honeypot: 'website', body_limit_bytes: 64 * 1024, trust_proxy: false }),
    account: ProvisionSpecSchema.optional(),
    // Follow-up sequences over email and WhatsApp (docs/followups.md).
    sequences: z.record(z.string().regex(SEQUENCE_KEY, 'sequence keys are lower-case letters, digits, - and _ (max 64)'), SequenceSchema).default({}),
    followups: FollowupsSettingsSchema.default(FollowupsSettingsSchema.parse({})),
  })
  .strict();

export type FileConfigInput = z.input<typeof FileConfigSchema>;
export type FileConfigParsed = z.output<typeof FileConfigSchema>;
