// The ONE way a lead is stored, whatever surface it came from (POST /api/leads, /api/crm, the widget, Tilda, the
// generic mapping, Google Ads, Meta): the same validation, idempotency, honeypot/spam rules and group-committed
// write. Routes turn their own wire format into a lead body and call accept(); the lead records its `source`.
import type { CountryCode } from 'libphonenumber-js';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { counter as metricCounter } from '../metrics.js';
import type { Database, LeadRow, LeadSource } from '../db/index.js';
import { captureLead, type CaptureDeps, type CaptureMeta } from './capture-lead.js';
import { IntakeError } from './errors.js';
import { createLeadWriter, type LeadWriterOptions } from './lead-writer.js';
import { inferSource, validateLead, type ValidateContext } from './validate.js';

export interface IntakeFormInfo {
  honeypot: string;
  extraFields: string[];
  /** The consent text version recorded (consents table) when a lead with consent names none (default `v1`). */
  consentVersion?: string;
}

export interface LeadIntakeDeps {
  db: Database;
  /** The amoCRM account every lead of this intake is for (default 'default'). */
  account?: string;
  defaultCountry: CountryCode;
  /** Configured forms (key → honeypot/extra field names). Empty = any form key is accepted. */
  forms: Record<string, IntakeFormInfo>;
  /** The form of leads naming none (config `default_form`; default "default"). */
  defaultForm?: string;
  /** Honeypot field for forms not in `forms` (default `website`). */
  honeypot?: string;
  metrics?: Registry;
  logger?: Logger;
  now?: () => number;
  onLeadCaptured?: (leadId: string) => void;
  /** Group commit of concurrent submissions (default on: maxBatch 100, maxInFlight 4); false = one statement per lead. */
  groupCommit?: LeadWriterOptions | false;
}

export interface AcceptOptions {
  source?: LeadSource;
  /** The name of the API key the caller sent (X-Api-Key), stored on the lead. */
  sourceKey?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  /** Wins over the body's `idempotency_key` (the Idempotency-Key header, or an adapter's own id such as Tilda's tranid). */
  idempotencyKey?: string;
  /** Skip the unknown-form check (fixed aliases such as /api/crm). */
  allowUnknownForm?: boolean;
  /** The Referer header: the lead's `source` when the site sent none (forms declaring `source`). */
  referer?: string;
  /** A capture rule decided this is spam (e.g. `too_fast`): stored with status spam, never delivered. */
  spamReason?: string;
}

export interface AcceptResult {
  lead: LeadRow;
  /** False when the idempotency key matched an earlier lead (nothing new was stored). */
  created: boolean;
}

export interface LeadIntake {
  /** Validates and stores; throws IntakeError (400 MALFORMED_BODY, 422 VALIDATION_FAILED with every field). */
  accept(body: unknown, opts?: AcceptOptions): Promise<AcceptResult>;
}

function leadsCounter(registry: Registry | undefined): Counter<'form' | 'result'> | undefined {
  if (!registry) return undefined;
  return metricCounter(registry, { name: 'leadbridge_leads_received_total', help: 'Leads received by intake, by form and result', labelNames: ['form', 'result'] });
}

export function createLeadIntake(deps: LeadIntakeDeps): LeadIntake {
  const counter = leadsCounter(deps.metrics);
  const now = deps.now ?? Date.now;
  const knownForms = Object.keys(deps.forms);
  const defaultHoneypot = deps.honeypot ?? 'website';
  const captureDeps: CaptureDeps = { db: deps.db };
  if (deps.groupCommit !== false) captureDeps.writer = createLeadWriter(deps.db, deps.groupCommit ?? {});
  if (deps.logger) captureDeps.logger = deps.logger;
  if (deps.onLeadCaptured) captureDeps.onLeadCaptured = deps.onLeadCaptured;

  return {
    async accept(body, opts = {}) {
      if (body === undefined || body === null) body = {};
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new IntakeError('MALFORMED_BODY', 400, 'the request body must be a JSON object or a form');
      }
      const ctx: ValidateContext = {
        defaultCountry: deps.defaultCountry,
        knownForms,
        honeypotFor: (form) => deps.forms[form]?.honeypot ?? defaultHoneypot,
        extraFieldsFor: (form) => deps.forms[form]?.extraFields ?? [],
        now,
        ...(deps.defaultForm ? { defaultForm: deps.defaultForm } : {}),
      };
      if (opts.ip) ctx.ip = opts.ip;
      if (opts.idempotencyKey !== undefined) ctx.headerIdempotencyKey = opts.idempotencyKey;
      if (opts.allowUnknownForm) ctx.allowUnknownForm = true;
      const result = validateLead(body as Record<string, unknown>, ctx);
      if (!result.ok) {
        counter?.inc({ form: 'invalid', result: 'rejected' });
        throw new IntakeError('VALIDATION_FAILED', 422, 'the lead has invalid fields', result.errors);
      }
      const input = result.lead;
      if (input.extra.source === undefined && ctx.extraFieldsFor(input.formKey).includes('source')) {
        const source = inferSource(input, opts.referer);
        if (source) input.extra.source = source;
      }
      if (opts.spamReason && !input.spam) {
        input.spam = true;
        input.spamReason = opts.spamReason;
      }
      const meta: CaptureMeta = { account: deps.account ?? 'default' };
      if (opts.source) meta.source = opts.source;
      if (opts.sourceKey) meta.sourceKey = opts.sourceKey;
      if (opts.ip) meta.ip = opts.ip;
      if (opts.requestId) meta.requestId = opts.requestId;
      if (opts.userAgent) meta.userAgent = opts.userAgent;
      meta.consentVersion = deps.forms[input.formKey]?.consentVersion ?? 'v1';
      const { lead, created } = await captureLead(captureDeps, input, meta);
      const form = knownForms.includes(lead.formKey) ? lead.formKey : 'other';
      counter?.inc({ form, result: created ? (input.spam ? 'spam' : 'accepted') : 'duplicate' });
      return { lead, created };
    },
  };
}

/** Spam is answered exactly like a normal lead, so bots learn nothing. */
export function publicStatus(lead: LeadRow): string {
  return lead.status === 'spam' ? 'pending' : lead.status;
}
