// Store a validated lead and its first timeline event atomically (the outbox rule): once this returns, the
// row is committed and the delivery worker will find it (status pending, next_attempt_at now()).
// Both go in ONE statement; with a LeadWriter, concurrent submissions share it (group commit, lead-writer.ts).
import type { Logger } from 'pino';
import type { Database, LeadSource } from '../db/index.js';
import { writeLeads, type LeadWriter, type StoredLead } from './lead-writer.js';
import type { BatchLead } from './sql.js';
import type { LeadInput } from './validate.js';

export interface CaptureDeps {
  db: Database;
  /** Group commit (intakeRoutes makes one); without it each lead is its own statement. */
  writer?: LeadWriter;
  logger?: Logger;
  /** Called after commit for new, non-spam leads (e.g. to wake the delivery worker). */
  onLeadCaptured?: (leadId: string) => void;
}

export interface CaptureMeta {
  /** The amoCRM account the lead is for (default 'default': one per install today). */
  account?: string;
  /** The capture surface (default `api`). */
  source?: LeadSource;
  /** The API key's name (server-to-server callers). */
  sourceKey?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  /** The consent text version for the consent record when the lead's consent names none (default `v1`). */
  consentVersion?: string;
}

export type CaptureResult = StoredLead;

export function toBatchLead(input: LeadInput, meta: CaptureMeta): BatchLead {
  const detail: Record<string, unknown> = { form: input.formKey };
  if (meta.source && meta.source !== 'api') detail.source = meta.source;
  if (meta.sourceKey) detail.api_key = meta.sourceKey;
  if (input.spamReason) detail.spam_reason = input.spamReason;
  if (meta.requestId) detail.request_id = meta.requestId;
  return {
    row: {
      id: crypto.randomUUID(),
      account: meta.account ?? 'default',
      formKey: input.formKey,
      source: meta.source ?? 'api',
      sourceKey: meta.sourceKey ?? null,
      status: input.spam ? 'spam' : 'pending',
      idempotencyKey: input.idempotencyKey ?? null,
      name: input.name ?? null,
      phone: input.phone ?? null,
      email: input.email ?? null,
      message: input.message ?? null,
      extra: input.extra,
      raw: input.raw,
      attribution: input.attribution,
      consent: input.consent ?? null,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 500) ?? null,
    },
    eventType: input.spam ? 'spam' : 'received',
    eventDetail: detail,
    consentVersion: meta.consentVersion ?? 'v1',
  };
}

export async function captureLead(deps: CaptureDeps, input: LeadInput, meta: CaptureMeta = {}): Promise<CaptureResult> {
  const lead = toBatchLead(input, meta);
  let result: StoredLead;
  if (deps.writer) {
    result = await deps.writer.write(lead);
  } else {
    const [settled] = await writeLeads(deps.db, [lead]);
    if (!settled?.ok) throw settled?.error ?? new Error('lead was not written');
    result = settled.value;
  }
  const log = deps.logger;
  if (result.created) {
    log?.info({ leadId: result.lead.id, form: input.formKey, status: result.lead.status }, 'lead captured');
    if (!input.spam) deps.onLeadCaptured?.(result.lead.id);
  } else {
    log?.info({ leadId: result.lead.id, form: input.formKey }, 'lead resubmitted (idempotent)');
  }
  return result;
}
