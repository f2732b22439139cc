// Store a validated lead and its first timeline event in ONE transaction (the outbox rule): once this
// returns, the delivery worker will find the row (status pending, next_attempt_at now()).
import type { Logger } from 'pino';
import type { Database, LeadRow } from '../db/index.js';
import { findLeadByIdempotencyKey, insertLeadEvent, insertLeadIfNew } from './sql.js';
import type { LeadInput } from './validate.js';

export interface CaptureDeps {
  db: Database;
  logger?: Logger;
  /** Called after commit for new, non-spam leads (e.g. to wake the delivery worker). */
  onLeadCaptured?: (leadId: string) => void;
}

export interface CaptureMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

export interface CaptureResult {
  lead: LeadRow;
  /** False when the idempotency key matched an existing lead (nothing was written). */
  created: boolean;
}

export async function captureLead(deps: CaptureDeps, input: LeadInput, meta: CaptureMeta = {}): Promise<CaptureResult> {
  const result = await deps.db.transaction(async (tx) => {
    const inserted = await insertLeadIfNew(tx, {
      formKey: input.formKey,
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
    });
    if (inserted) {
      const detail: Record<string, unknown> = { form: input.formKey };
      if (meta.requestId) detail.request_id = meta.requestId;
      await insertLeadEvent(tx, inserted.id, input.spam ? 'spam' : 'received', detail);
      return { lead: inserted, created: true };
    }
    // Conflict on (form_key, idempotency_key). On PostgreSQL `on conflict do nothing` waited for the other
    // transaction to commit, so the winner's row is visible to this (read committed) statement.
    const existing = input.idempotencyKey
      ? await findLeadByIdempotencyKey(tx, input.formKey, input.idempotencyKey)
      : undefined;
    if (!existing) throw new Error('lead insert conflicted but no existing lead was found');
    return { lead: existing, created: false };
  });
  const log = deps.logger;
  if (result.created) {
    log?.info({ leadId: result.lead.id, form: input.formKey, status: result.lead.status }, 'lead captured');
    if (!input.spam) deps.onLeadCaptured?.(result.lead.id);
  } else {
    log?.info({ leadId: result.lead.id, form: input.formKey }, 'lead resubmitted (idempotent)');
  }
  return result;
}
