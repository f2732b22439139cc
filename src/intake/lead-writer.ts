// Group commit for intake. Every lead is stored by ONE statement (lead + first event, see insertLeadBatch)
// that commits before its caller is answered. Concurrent submissions share that statement: while up to
// `maxInFlight` batches are being written, new leads queue and go out together in the next one, so under
// load one round trip and one WAL flush serve many leads; an idle writer sends a lead at once (next tick).
import type { Database, LeadRow } from '../db/index.js';
import { findLeadByIdempotencyKey, insertLeadBatch, type BatchLead } from './sql.js';
import { AppError } from '../errors.js';

export interface StoredLead {
  lead: LeadRow;
  /** False when the idempotency key matched an existing lead (nothing was written). */
  created: boolean;
}

export interface LeadWriterOptions {
  /** Most leads per statement (default 100). */
  maxBatch?: number;
  /** Batches being written at once (default 4; PGlite is one session, so 1 is enough there). */
  maxInFlight?: number;
}

export interface LeadWriter {
  write(lead: BatchLead): Promise<StoredLead>;
}

/** The lead could not be stored. The message and cause carry no lead data (drizzle's error lists the params). */
export class LeadStoreError extends AppError<'LEAD_STORE_FAILED'> {
  constructor(message: string, options?: ErrorOptions) {
    super('LEAD_STORE_FAILED', message, options);
  }
}

type Settled = { ok: true; value: StoredLead } | { ok: false; error: Error };

/** The driver's error (pg / PGlite) under drizzle's wrapper, which would put every lead's fields in logs. */
function driverError(err: unknown): { code?: string; cause: unknown } {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      const { message, severity, detail, constraint, table } = cur as Error & Record<string, string | undefined>;
      return { code, cause: Object.assign(new Error(message), { code, severity, detail, constraint, table }) };
    }
    cur = cur.cause;
  }
  return { cause: new Error(err instanceof Error ? err.constructor.name : 'non-error thrown') };
}

function leadRow(b: BatchLead, createdMs: number): LeadRow {
  const at = new Date(createdMs);
  const r = b.row;
  return {
    id: r.id, account: r.account ?? 'default', formKey: r.formKey, source: r.source ?? 'api', sourceKey: r.sourceKey ?? null, status: r.status ?? 'pending', idempotencyKey: r.idempotencyKey ?? null,
    name: r.name ?? null, phone: r.phone ?? null, email: r.email ?? null, message: r.message ?? null,
    extra: r.extra ?? {}, raw: r.raw ?? {}, attribution: r.attribution ?? {}, consent: r.consent ?? null,
    ip: r.ip ?? null, userAgent: r.userAgent ?? null, createdAt: at, updatedAt: at, attempts: 0, nextAttemptAt: at,
    claimedAt: null, claimedBy: null, lastError: null, amoLeadId: null, amoContactId: null, deliveredAt: null,
    responsibleUserId: null,
  };
}

/**
 * Stores a batch (one statement, committed on return) and answers each lead. A lead that was not inserted
 * hit its (form, idempotency key): after the commit the winner — an older lead, a concurrent one (on
 * conflict waited for it) or one of this batch — is committed, so it is looked up and returned.
 */
export async function writeLeads(db: Database, batch: BatchLead[]): Promise<Settled[]> {
  let inserted: Map<string, number>;
  try {
    inserted = await insertLeadBatch(db, batch);
  } catch (err) {
    const { code, cause } = driverError(err);
    // One bad lead must never cost the others their answer. A data or constraint error fails the whole
    // statement, and so does anything thrown before it is sent (a lead that cannot be serialized): retry one
    // by one so only the bad lead fails. Same for a deadlock or serialization failure (class 40): single-lead
    // statements cannot deadlock. Other database errors (the connection, the server) would fail every single too.
    if (batch.length > 1 && (code === undefined || /^(22|23|40)/.test(code))) {
      return (await Promise.all(batch.map((b) => writeLeads(db, [b])))).flat();
    }
    const error = new LeadStoreError('the lead could not be stored', { cause });
    return batch.map(() => ({ ok: false, error }));
  }
  return Promise.all(
    batch.map(async (b): Promise<Settled> => {
      const createdMs = inserted.get(b.row.id);
      if (createdMs !== undefined) return { ok: true, value: { lead: leadRow(b, createdMs), created: true } };
      try {
        const key = b.row.idempotencyKey;
        const existing = key ? await findLeadByIdempotencyKey(db, b.row.formKey, key) : undefined;
        if (!existing) return { ok: false, error: new LeadStoreError('lead insert conflicted but no existing lead was found') };
        return { ok: true, value: { lead: existing, created: false } };
      } catch (err) {
        return { ok: false, error: new LeadStoreError('the existing lead could not be read', { cause: driverError(err).cause }) };
      }
    }),
  );
}

export function createLeadWriter(db: Database, opts: LeadWriterOptions = {}): LeadWriter {
  const maxBatch = opts.maxBatch ?? 100;
  const maxInFlight = opts.maxInFlight ?? 4;
  const queue: { lead: BatchLead; resolve: (v: StoredLead) => void; reject: (e: Error) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    // setImmediate: every request parsed in this turn of the event loop joins the batch.
    setImmediate(flush);
  };
  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.splice(0, maxBatch);
      inFlight++;
      void writeLeads(
        db,
        batch.map((p) => p.lead),
      )
        .then(
          (results) =>
            results.forEach((r, i) => {
              const p = batch[i];
              if (r.ok) p?.resolve(r.value);
              else p?.reject(r.error);
            }),
          (err: unknown) => {
            const error = new LeadStoreError('the lead could not be stored', { cause: driverError(err).cause });
            for (const p of batch) p.reject(error);
          },
        )
        .finally(() => {
          inFlight--;
          schedule();
        });
    }
  };
  return {
    write(lead) {
      return new Promise<StoredLead>((resolve, reject) => {
        queue.push({ lead, resolve, reject });
        schedule();
      });
    },
  };
}
