// Zod schemas for the OpenAPI document and response serialisation. Request bodies are validated by
// validate.ts (which reports every bad field with a code); the body schemas here are built from the same field
// table (lead-body.ts), so the document says what the validator does.
import { z } from 'zod';
import { CRM_ALIAS_FIELDS, LEAD_BODY_FIELDS, LIMITS, type LeadBodyField } from './lead-body.js';

const Touch = z.union([z.string().max(LIMITS.value), z.record(z.string(), z.string().max(LIMITS.value))]);

const Consent = z.union([
  z.boolean(),
  z.object({
    given: z.union([z.boolean(), z.string()]),
    text_version: z.string().max(LIMITS.key).optional(),
    at: z.string().optional().describe('ISO date-time; default: submit time'),
  }),
]);

function fieldSchema(f: LeadBodyField): z.ZodType {
  switch (f.kind) {
    case 'text':
    case 'attribution':
    case 'extra_value':
      return f.maxLength === undefined ? z.string() : z.string().max(f.maxLength);
    case 'touch':
      return Touch;
    case 'consent':
      return Consent;
    case 'extra':
      return z.record(z.string(), z.unknown());
  }
}

/** A loose object of the table's fields: optional unless `required`, with their descriptions. */
function bodySchema(fields: Record<string, LeadBodyField>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, f] of Object.entries(fields)) {
    const s = f.required ? fieldSchema(f) : fieldSchema(f).optional();
    shape[name] = f.description ? s.describe(f.description) : s;
  }
  return z.object(shape).loose();
}

export const LeadBodySchema = bodySchema(LEAD_BODY_FIELDS).describe(
  'Phone or email is required. Unknown fields are kept (raw). A filled honeypot field is stored as spam.',
);

export const CrmAliasBodySchema = bodySchema(CRM_ALIAS_FIELDS);

export const AcceptedSchema = z.object({
  id: z.string().uuid(),
  status: z.string(),
});

/** A follow-up enrolment of the lead and its steps (src/followups; GET /api/leads/:id). */
export const LeadFollowupSchema = z.looseObject({
  id: z.string(),
  sequence: z.string(),
  status: z.enum(['active', 'completed', 'exited']),
  exit_reason: z.string().nullable(),
  steps: z.array(
    z.looseObject({
      index: z.number(),
      channel: z.enum(['email', 'whatsapp', 'task']),
      status: z.string(),
      due_at: z.string(),
      sent_at: z.string().nullable(),
      message_id: z.string().nullable(),
      reason: z.string().nullable(),
      error: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});

export const LeadViewSchema = z.object({
  id: z.string(),
  form: z.string(),
  source: z.string().describe('api, widget, tilda, generic, google_ads or meta'),
  source_key: z.string().nullable().describe('the API key (its name in api_keys) that sent the lead; null for anonymous posts'),
  status: z.string(),
  idempotency_key: z.string().nullable(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  message: z.string().nullable(),
  extra: z.record(z.string(), z.unknown()),
  raw: z.record(z.string(), z.unknown()),
  attribution: z.record(z.string(), z.unknown()),
  consent: z.unknown(),
  attempts: z.number(),
  next_attempt_at: z.string(),
  last_error: z.unknown(),
  amo_lead_id: z.number().nullable(),
  amo_contact_id: z.number().nullable(),
  responsible_user_id: z.number().nullable(),
  delivered_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  timeline: z.array(z.object({ at: z.string(), type: z.string(), detail: z.unknown() })),
  /** Who became the deal's manager and why (routing; null when routing has not decided, or is not configured). */
  routing: z
    .object({
      rule: z.string().nullable(),
      strategy: z.string().nullable(),
      outcome: z.string(),
      user_id: z.number().nullable(),
      manager: z.string().nullable(),
      manager_name: z.string().nullable(),
      reason: z.string(),
      skipped: z.array(z.unknown()),
      fallback: z.string().nullable(),
      decided_at: z.string(),
      note: z.string(),
      take_up: z.object({ due_at: z.string(), state: z.string().nullable() }).nullable(),
      reassignments: z.array(z.unknown()),
    })
    .nullable(),
  /** Follow-up enrolments (sequence, status, exit reason) with their steps (channel, status, time, message id, error). */
  followups: z.array(LeadFollowupSchema).optional(),
  /** The deal as synced back from amoCRM (stage, manager, price, stage history); null until a webhook or
   * reconciliation has reported it. */
  deal: z
    .object({
      pipeline_id: z.number().nullable(),
      status_id: z.number().nullable(),
      responsible_user_id: z.number().nullable(),
      price: z.number().nullable(),
      is_won: z.boolean(),
      is_lost: z.boolean(),
      is_deleted: z.boolean(),
      fields: z.record(z.string(), z.unknown()),
      updated_at: z.string().nullable(),
      stages: z.array(
        z.object({ pipeline_id: z.number(), status_id: z.number(), entered_at: z.string(), left_at: z.string().nullable(), seconds: z.number() }),
      ),
    })
    .nullable(),
});
