// Delivery queries: one function per statement (or one short transaction), the db or transaction first.
// Claims never hold a transaction across an HTTP call (PGlite is one session: an open transaction blocks everyone).
import { and, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import {
  amoContactIndex,

  deliveryNotes,
  leadDeliveryFlags,
  leadEvents,
  leads,
  type Database,
  type LeadRow,
  type LeadStatus, rowsOf } from '../db/index.js';
import type { Tx } from '../db/index.js';

export type { Tx };
export type EventRow = { leadId: string; type: string; detail?: Record<string, unknown>; at?: Date };

export async function insertEvents(tx: Tx, events: EventRow[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(leadEvents).values(events.map((e) => ({ leadId: e.leadId, type: e.type, detail: e.detail ?? {}, ...(e.at ? { at: e.at } : {}) })));
}

export interface ClaimedLead {
  row: LeadRow;
  needsLookup: boolean;
  firstSentAt: Date | null;
}


/**
 * Claims up to `limit` due leads (pending or held, next_attempt_at ≤ now) for this worker with `for update skip
 * locked`, writes their `claimed` events and reads their lookup flags — one statement (embedded PGlite runs on the
 * main thread, so statements per batch are what throughput is made of) — then reads the typed rows.
 */
export async function claimLeads(db: Database, workerId: string, limit: number, now: Date): Promise<ClaimedLead[]> {
  const res = await db.execute(sql`
    with due as (
      select id from leads
      where status in ('pending', 'held') and next_attempt_at <= ${now}
      order by next_attempt_at limit ${limit}
      for update skip locked
    ), claimed as (
      update leads l set status = 'delivering', claimed_at = ${now}, claimed_by = ${workerId}, updated_at = ${now}
      from due where l.id = due.id
      returning l.id, l.attempts
    ), ev as (
      insert into lead_events (lead_id, type, detail, at)
      select id, 'claimed', jsonb_build_object('worker', ${workerId}::text, 'attempt', attempts + 1), ${now} from claimed
    )
    select c.id::text as id, coalesce(f.needs_lookup, false) as needs_lookup, f.first_sent_at
    from claimed c left join lead_delivery_flags f on f.lead_id = c.id`);
  const claimed = rowsOf<{ id: string; needs_lookup: boolean; first_sent_at: Date | string | null }>(res);
  if (claimed.length === 0) return [];
  const rows = await db.select().from(leads).where(inArray(leads.id, claimed.map((c) => c.id)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return claimed.flatMap((c) => {
    const row = byId.get(c.id);
    if (!row) return [];
    return [{ row, needsLookup: c.needs_lookup === true, firstSentAt: c.first_sent_at === null ? null : new Date(c.first_sent_at) }];
  });
}

/**
 * Claims older than `cutoff` belong to a crashed or stuck worker: back to pending, flagged `needs_lookup` (the deal
 * may exist already). Returns the swept lead ids.
 */
export async function sweepStaleClaims(db: Database, cutoff: Date, now: Date, owners?: string[]): Promise<string[]> {
  if (owners?.length === 0) return [];
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(leads)
      .set({ status: 'pending', claimedAt: null, claimedBy: null, nextAttemptAt: now, updatedAt: now })
      .where(and(eq(leads.status, 'delivering'), owners ? inArray(leads.claimedBy, owners) : lt(leads.claimedAt, cutoff)))
      .returning({ id: leads.id, claimedAt: leads.claimedAt, claimedBy: leads.claimedBy });
    if (rows.length === 0) return [];
    await flagNeedsLookup(tx, rows.map((r) => r.id), now);
    await insertEvents(tx, rows.map((r) => ({ leadId: r.id, type: 'claim_expired', detail: { needs_lookup: true }, at: now })));
    return rows.map((r) => r.id);
  });
}

/** Workers holding claims right now. */
export async function claimOwners(db: Database): Promise<string[]> {
  const res = await db.execute(sql`select distinct claimed_by from leads where status = 'delivering' and claimed_by is not null`);
  return rowsOf<{ claimed_by: string }>(res).map((r) => r.claimed_by);
}

export async function flagNeedsLookup(tx: Tx, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .insert(leadDeliveryFlags)
    .values(ids.map((leadId) => ({ leadId, needsLookup: true, firstSentAt: now, updatedAt: now })))
    .onConflictDoUpdate({
      target: leadDeliveryFlags.leadId,
      set: { needsLookup: true, firstSentAt: sql`coalesce(${leadDeliveryFlags.firstSentAt}, excluded.first_sent_at)`, updatedAt: now },
    });
}

export interface DeliveredRow {
  leadId: string;
  amoLeadId: number;
  amoContactId: number | null;
  responsibleUserId: number | null;
  event: Record<string, unknown>;
  note?: string | undefined;
  contactKeys?: string[];
  contactSource?: string;
}

/**
 * Marks leads delivered (only while this worker still holds the claim), writes their events, queues their notes,
 * indexes their contacts and clears their lookup flags: ONE statement (atomic on its own). Returns the ids recorded.
 */
export async function recordDelivered(db: Database, workerId: string, rows: DeliveredRow[], now: Date): Promise<string[]> {
  if (rows.length === 0) return [];
  const input = JSON.stringify(
    rows.map((r) => ({
      id: r.leadId,
      amo_lead_id: r.amoLeadId,
      amo_contact_id: r.amoContactId,
      responsible_user_id: r.responsibleUserId,
      event: r.event,
      note: r.note ?? null,
      keys: r.amoContactId === null ? [] : (r.contactKeys ?? []),
      source: r.contactSource ?? 'created',
    })),
  );
  const res = await db.execute(sql`
    with v as (
      select * from jsonb_to_recordset(${input}::jsonb)
        as x(id uuid, amo_lead_id bigint, amo_contact_id bigint, responsible_user_id bigint, event jsonb, note text, keys text[], source text)
    ), u as (
      update leads l set status = 'delivered', amo_lead_id = v.amo_lead_id, amo_contact_id = v.amo_contact_id,
        responsible_user_id = coalesce(v.responsible_user_id, l.responsible_user_id),
        delivered_at = ${now}, claimed_at = null, claimed_by = null, last_error = null, updated_at = ${now}
      from v
      where l.id = v.id and l.status = 'delivering' and l.claimed_by = ${workerId}
      returning l.id, l.account
    ), mine as (
      select v.*, u.account from v join u on u.id = v.id
    ), ev as (
      insert into lead_events (lead_id, type, detail, at) select id, 'delivered', event, ${now} from mine
    ), notes as (
      insert into delivery_notes (lead_id, amo_lead_id, text, next_attempt_at, created_at)
      select id, amo_lead_id, note, ${now}, ${now} from mine where note is not null
      on conflict do nothing
    ), idx as (
      insert into amo_contact_index (account, key, amo_contact_id, source, updated_at)
      select distinct on (mine.account, k.key) mine.account, k.key, mine.amo_contact_id, mine.source, ${now}
      from mine, unnest(mine.keys) as k(key)
      order by mine.account, k.key
      on conflict (account, key) do update set amo_contact_id = excluded.amo_contact_id, source = excluded.source, updated_at = excluded.updated_at
        where amo_contact_index.amo_contact_id = ${CONTACT_PENDING}
    ), flags as (
      delete from lead_delivery_flags where lead_id in (select id from mine)
    )
    select id::text as id from mine`);
  return rowsOf<{ id: string }>(res).map((r) => r.id);
}

export interface FailureRow {
  leadId: string;
  status: Extract<LeadStatus, 'pending' | 'held' | 'failed' | 'dead'>;
  nextAttemptAt: Date;
  /** Count this attempt against max_attempts. */
  countAttempt: boolean;
  lastError: Record<string, unknown> | null;
  events: { type: string; detail: Record<string, unknown> }[];
  needsLookup?: boolean;
}

export async function recordFailures(db: Database, workerId: string, rows: FailureRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction(async (tx) => {
    for (const r of rows) {
      await tx
        .update(leads)
        .set({
          status: r.status,
          nextAttemptAt: r.nextAttemptAt,
          attempts: r.countAttempt ? sql`${leads.attempts} + 1` : leads.attempts,
          lastError: r.lastError,
          claimedAt: null,
          claimedBy: null,
          updatedAt: now,
        })
        .where(and(eq(leads.id, r.leadId), eq(leads.status, 'delivering'), eq(leads.claimedBy, workerId)));
    }
    await flagNeedsLookup(tx, rows.filter((r) => r.needsLookup).map((r) => r.leadId), now);
    await insertEvents(tx, rows.flatMap((r) => r.events.map((e) => ({ leadId: r.leadId, type: e.type, detail: e.detail, at: now }))));
  });
}

/** Gives claimed leads back untouched (pause, shutdown before sending). */
export async function releaseClaims(db: Database, workerId: string, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(leads)
    .set({ status: 'pending', claimedAt: null, claimedBy: null, updatedAt: now })
    .where(and(inArray(leads.id, ids), eq(leads.status, 'delivering'), eq(leads.claimedBy, workerId)));
}

/** Advances the shared round-robin cursor by `n`; returns the position of the first of the n slots. */
export async function takeCursor(tx: Tx, key: string, n: number): Promise<number> {
  const res = await tx.execute(sql`
    insert into delivery_cursors (key, position) values (${key}, ${n})
    on conflict (key) do update set position = delivery_cursors.position + ${n}, updated_at = now()
    returning position::text as position`);
  const row = rowsOf<{ position: string }>(res)[0];
  return Number(row?.position ?? n) - n;
}

/** `amo_contact_id` of a key whose contact is being created right now by some batch (any process). */
export const CONTACT_PENDING = -1;

/** Source of a pending reservation row: the lead that creates the contact. */
export const pendingSource = (leadId: string): string => `pending:${leadId}`;

export interface IndexEntry {
  amoContactId: number;
  source: string;
}

/**
 * Index lookup in `account`'s index (the contact functions below all work on one account's keys). A pending
 * reservation younger than `staleBefore` maps to CONTACT_PENDING (its `source` names the lead creating the contact);
 * an older one (its worker died) is ignored.
 */
export async function findContacts(tx: Tx, account: string, keys: string[], staleBefore: Date): Promise<Map<string, IndexEntry>> {
  const out = new Map<string, IndexEntry>();
  if (keys.length === 0) return out;
  const rows = await tx
    .select()
    .from(amoContactIndex)
    .where(and(eq(amoContactIndex.account, account), inArray(amoContactIndex.key, [...new Set(keys)])));
  for (const r of rows) {
    if (r.amoContactId === CONTACT_PENDING && r.updatedAt < staleBefore) continue;
    out.set(r.key, { amoContactId: r.amoContactId, source: r.source });
  }
  return out;
}

/**
 * Reserves index keys for contacts about to be created (key → the lead creating it): inserts CONTACT_PENDING rows
 * or takes over stale ones, in one statement. Returns the keys this caller now holds.
 */
export async function reserveContactKeys(tx: Tx, account: string, wanted: { key: string; leadId: string }[], now: Date, staleBefore: Date): Promise<Set<string>> {
  if (wanted.length === 0) return new Set();
  const values = sql.join(wanted.map((w) => sql`(${account}, ${w.key}, ${CONTACT_PENDING}::bigint, ${pendingSource(w.leadId)}, ${now}::timestamptz)`), sql`, `);
  // A stale reservation is taken over; the lead's own (kept after an unknown outcome) is renewed.
  const res = await tx.execute(sql`
    insert into amo_contact_index (account, key, amo_contact_id, source, updated_at) values ${values}
    on conflict (account, key) do update set source = excluded.source, updated_at = excluded.updated_at
      where amo_contact_index.amo_contact_id = ${CONTACT_PENDING}
        and (amo_contact_index.updated_at < ${staleBefore} or amo_contact_index.source = excluded.source)
    returning key`);
  return new Set(rowsOf<{ key: string }>(res).map((r) => r.key));
}

/** Drops reservations that did not turn into a contact (the leader failed or was deferred). */
export async function releaseContactKeys(tx: Tx, account: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await tx
    .delete(amoContactIndex)
    .where(and(eq(amoContactIndex.account, account), inArray(amoContactIndex.key, keys), eq(amoContactIndex.amoContactId, CONTACT_PENDING)));
}

/**
 * Index contacts known to exist in amoCRM (recovered by the marker lookup, imported, from a webhook): a pending
 * reservation is replaced (the contact it waited for exists), an existing mapping is kept (first writer wins).
 */
export async function indexContacts(tx: Tx, account: string, rows: { key: string; amoContactId: number; source: string }[], now: Date): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
  if (unique.length === 0) return;
  await tx
    .insert(amoContactIndex)
    .values(unique.map((r) => ({ ...r, account, updatedAt: now })))
    .onConflictDoUpdate({
      target: [amoContactIndex.account, amoContactIndex.key],
      set: { amoContactId: sql`excluded.amo_contact_id`, source: sql`excluded.source`, updatedAt: now },
      setWhere: eq(amoContactIndex.amoContactId, CONTACT_PENDING),
    });
}

/** Forget contacts deleted in amoCRM. */
export async function unindexContacts(tx: Tx, account: string, amoContactIds: number[]): Promise<void> {
  if (amoContactIds.length === 0) return;
  await tx.delete(amoContactIndex).where(and(eq(amoContactIndex.account, account), inArray(amoContactIndex.amoContactId, amoContactIds)));
}

/** The marker lookup proved these leads have no deal yet: the next attempt sends without looking up again. */
export async function clearNeedsLookup(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.delete(leadDeliveryFlags).where(inArray(leadDeliveryFlags.leadId, ids));
}

export async function upsertContacts(tx: Tx, account: string, rows: { key: string; amoContactId: number; source: string; updatedAt?: Date }[]): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
  if (unique.length === 0) return;
  // First writer wins: an existing mapping is kept (two processes may race on the same phone).
  await tx
    .insert(amoContactIndex)
    .values(unique.map((r) => ({ ...r, account })))
    .onConflictDoNothing();
}


// ------------------------------------------------------------------ replay and stats

export type ReplaySelector = { id: string } | { status: 'dead' | 'failed' };

/** Requeues failed/dead (or held) leads: pending now, attempts reset. Returns the requeued ids. */
/** Whether a lead with this id exists (a replay of an unknown id is a 404, of an undeliverable state a 409). */
export async function leadExists(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ id: leads.id }).from(leads).where(eq(leads.id, id));
  return row !== undefined;
}

export async function replayLeads(db: Database, selector: ReplaySelector, now: Date, by: string): Promise<string[]> {
  return db.transaction(async (tx) => {
    const where =
      'id' in selector
        ? and(eq(leads.id, selector.id), inArray(leads.status, ['failed', 'dead', 'held']))
        : eq(leads.status, selector.status);
    const rows = await tx
      .update(leads)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: now, claimedAt: null, claimedBy: null, updatedAt: now })
      .where(where)
      .returning({ id: leads.id });
    await insertEvents(tx, rows.map((r) => ({ leadId: r.id, type: 'replayed', detail: { by }, at: now })));
    return rows.map((r) => r.id);
  });
}

/** Held leads become due now (the account came back: reconnected, circuit closed, paid). */
export async function resumeHeld(db: Database, now: Date): Promise<number> {
  const rows = await db.update(leads).set({ nextAttemptAt: now, updatedAt: now }).where(eq(leads.status, 'held')).returning({ id: leads.id });
  return rows.length;
}

export async function statusCounts(db: Database): Promise<Record<string, number>> {
  const res = await db.execute(sql`select status, count(*)::int as n from leads group by status`);
  const out: Record<string, number> = {};
  for (const r of rowsOf<{ status: string; n: number | string }>(res)) out[r.status] = Number(r.n);
  return out;
}
