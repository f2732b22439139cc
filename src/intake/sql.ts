// Intake queries: one function per statement, the db or transaction first.
import { and, asc, eq } from 'drizzle-orm';
import { leadEvents, leads, queryPrepared, type LeadEventRow, type LeadRow, type NewLeadRow, type PreparedStatement, type Tx } from '../db/index.js';

export type { Tx };

export async function findLeadByIdempotencyKey(tx: Tx, formKey: string, key: string): Promise<LeadRow | undefined> {
  const [row] = await tx
    .select()
    .from(leads)
    .where(and(eq(leads.formKey, formKey), eq(leads.idempotencyKey, key)))
    .limit(1);
  return row;
}

export async function insertLeadEvent(tx: Tx, leadId: string, type: string, detail: Record<string, unknown> = {}): Promise<void> {
  await tx.insert(leadEvents).values({ leadId, type, detail });
}

export async function getLead(tx: Tx, id: string): Promise<LeadRow | undefined> {
  const [row] = await tx.select().from(leads).where(eq(leads.id, id)).limit(1);
  return row;
}

export async function listLeadEvents(tx: Tx, leadId: string): Promise<LeadEventRow[]> {
  return tx.select().from(leadEvents).where(eq(leadEvents.leadId, leadId)).orderBy(asc(leadEvents.at), asc(leadEvents.id));
}

/** One lead of a batch insert: the lead row (id chosen by the caller) and its first timeline event. */
export interface BatchLead {
  row: NewLeadRow & { id: string };
  eventType: string;
  eventDetail: Record<string, unknown>;
  /** The consent record's text version when `row.consent` names none (the form's `consent_version`, else `v1`). */
  consentVersion?: string;
}

/** Inserted leads of a batch: id → commit-time `created_at` (epoch ms). Leads missing here hit the idempotency key. */
export type BatchInserted = Map<string, number>;

// The batch statement around its one parameter (jsonb array of leads): named → prepared once per connection.
const BATCH_HEAD = 'with input as (select * from jsonb_to_recordset(';
const BATCH_TAIL = `::jsonb) as x(
    ord int, id uuid, account text, form_key text, source text, source_key text, status text, idempotency_key text, name text, phone text, email text,
    message text, extra jsonb, raw jsonb, attribution jsonb, consent jsonb, ip text, user_agent text,
    event_type text, event_detail jsonb, consent_version text)
  ), ins as (
    insert into leads (id, account, form_key, source, source_key, status, idempotency_key, name, phone, email, message, extra, raw, attribution, consent, ip, user_agent)
    select id, coalesce(account, 'default'), form_key, coalesce(source, 'api'), source_key, status, idempotency_key, name, phone, email, message, extra, raw, attribution, consent, ip, user_agent
    from input order by form_key, idempotency_key, ord
    on conflict (form_key, idempotency_key) do nothing
    returning id, created_at
  ), ev as (
    insert into lead_events (lead_id, type, detail)
    select ins.id, input.event_type, input.event_detail from ins join input on input.id = ins.id order by input.ord
  ), consent_record as (
    -- The consent proof record (src/privacy, docs/privacy.md) in the same statement: it exists iff the lead committed.
    insert into consents (lead_id, form_key, text_version, given_at, ip, user_agent, source)
    select ins.id, input.form_key, coalesce(nullif(input.consent ->> 'text_version', ''), input.consent_version, 'v1'),
      coalesce((input.consent ->> 'at')::timestamptz, ins.created_at), coalesce(input.consent ->> 'ip', input.ip),
      input.user_agent, coalesce(input.source, 'api')
    from ins join input on input.id = ins.id where (input.consent ->> 'given') = 'true' order by input.ord
  ), captured as (
    -- lead.captured (src/events) in the same statement: the event exists iff the lead committed.
    insert into domain_events (account, type, lead_id, payload, occurred_at)
    select coalesce(input.account, 'default'), 'lead.captured', ins.id, jsonb_build_object('form', input.form_key), ins.created_at
    from ins join input on input.id = ins.id order by input.ord
  )
  select id::text as id, (extract(epoch from created_at) * 1000)::float8 as created_ms from ins`;
const BATCH_STATEMENT: PreparedStatement = { name: 'leadbridge_insert_lead_batch', text: `${BATCH_HEAD}$1${BATCH_TAIL}` };

type BatchRows = { id: string; created_ms: number | string }[];

/**
 * Inserts many leads AND their first events in ONE statement (so one round trip and, outside a transaction,
 * one commit). The rows travel as one jsonb parameter. `on conflict (form_key, idempotency_key) do nothing`
 * skips duplicates, including duplicates within the batch (one of them wins). Rows go in key order, so two
 * concurrent batches that share keys wait for each other in one direction only (no deadlock).
 */
export async function insertLeadBatch(tx: Tx, batch: BatchLead[]): Promise<BatchInserted> {
  const input = batch.map(({ row: r, eventType, eventDetail, consentVersion }, ord) => ({
    ord, id: r.id, account: r.account, form_key: r.formKey, source: r.source, source_key: r.sourceKey ?? undefined, status: r.status, idempotency_key: r.idempotencyKey ?? undefined,
    name: r.name ?? undefined, phone: r.phone ?? undefined, email: r.email ?? undefined, message: r.message ?? undefined,
    extra: r.extra ?? {}, raw: r.raw ?? {}, attribution: r.attribution ?? {}, consent: r.consent ?? undefined,
    ip: r.ip ?? undefined, user_agent: r.userAgent ?? undefined, event_type: eventType, event_detail: eventDetail,
    consent_version: consentVersion,
  }));
  // Named on a node-postgres pool: parse + plan skipped (about 0.3 ms of database CPU per batch).
  const rows = await queryPrepared<BatchRows[number]>(tx, BATCH_STATEMENT, [JSON.stringify(input)]);
  const inserted: BatchInserted = new Map();
  for (const r of rows) inserted.set(r.id, Number(r.created_ms));
  return inserted;
}
