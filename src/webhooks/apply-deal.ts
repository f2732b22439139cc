// Applies one DealObservation to amo_deals + amo_deal_stages + domain_events, inside the caller's transaction.
// Rules: the stage history records every observation at its amoCRM time (late ones are inserted in place);
// the current state only moves forward (an observation older than amo_updated_at changes nothing but history);
// domain events are emitted only for real changes of the current state, so re-applying is harmless.
import { and, eq } from 'drizzle-orm';
import { STATUS_LOST, STATUS_WON } from '../amocrm/index.js';
import { amoDeals, leads, type AmoDealRow, type AmoFieldValue, type NewAmoDealRow } from '../db/index.js';
import { emit, type EventName, type NewEvent } from '../events/index.js';
import { mapDealFields } from './fields.js';
import { appendStage, recordStage } from './stage-history.js';
import { toDate, toUnix, type Tx } from './tx.js';
import type { DealFieldMap, DealObservation } from './types.js';

export interface ApplyContext {
  /** The amoCRM account (connection key) the observation is about: amoCRM ids are unique only within it. */
  account: string;
  fieldMap: DealFieldMap;
}

export interface ApplyDealResult {
  /** The current state changed (false: older observation, or nothing new). */
  changed: boolean;
  historyChanged: boolean;
  events: EventName[];
}

async function linkedLeadId(tx: Tx, account: string, amoLeadId: number): Promise<string | null> {
  const [row] = await tx.select({ id: leads.id }).from(leads).where(and(eq(leads.account, account), eq(leads.amoLeadId, amoLeadId))).limit(1);
  return row?.id ?? null;
}

const dealKey = (account: string, amoLeadId: number) => and(eq(amoDeals.account, account), eq(amoDeals.amoLeadId, amoLeadId));

const stageOf = (r: { pipelineId: number | null; statusId: number | null }) => ({ pipeline_id: r.pipelineId, status_id: r.statusId });

export async function applyDealObservation(tx: Tx, o: DealObservation, ctx: ApplyContext): Promise<ApplyDealResult> {
  const r = await applyObservation(tx, o, ctx);
  // A late stage placed in the past, or a change no other event names (amo_created_at learnt later): readers of
  // the deal's facts (the analytics rollup) recompute it.
  if ((r.historyChanged || r.changed) && r.events.length === 0) {
    await emit(tx, [{ account: ctx.account, type: 'deal.history_changed', amoLeadId: o.amoLeadId, payload: {}, occurredAt: toDate(o.at) }]);
    return { ...r, events: ['deal.history_changed'] };
  }
  return r;
}

async function applyObservation(tx: Tx, o: DealObservation, ctx: ApplyContext): Promise<ApplyDealResult> {
  const { account } = ctx;
  const [row] = await tx.select().from(amoDeals).where(dealKey(account, o.amoLeadId)).for('update').limit(1);
  if (o.kind === 'delete') return applyDelete(tx, account, o, row);

  const held = row?.amoUpdatedAt ? toUnix(row.amoUpdatedAt) : undefined;
  const newest = row !== undefined && held !== undefined && o.at >= held;
  let historyChanged = false;
  if (o.pipelineId !== undefined && o.statusId !== undefined) {
    const stage = { account, amoLeadId: o.amoLeadId, pipelineId: o.pipelineId, statusId: o.statusId, at: o.at, source: o.source };
    if (!newest) historyChanged = await recordStage(tx, stage);
    else if (row.pipelineId !== o.pipelineId || row.statusId !== o.statusId || row.statusId === null) {
      // Nothing recorded is newer than the row's amo_updated_at, so this closes the open period.
      await appendStage(tx, stage);
      historyChanged = true;
    }
  }
  if (held !== undefined && o.at < held) {
    // Older than what we hold: it may still un-delete (a read through the API is the truth right now).
    if (row?.isDeleted && o.kind === 'snapshot') return undelete(tx, account, o, row, historyChanged);
    return { changed: false, historyChanged, events: [] };
  }

  const customFields: Record<string, AmoFieldValue> = o.kind === 'snapshot' ? {} : { ...(row?.customFields ?? {}) };
  for (const f of o.customFields ?? []) customFields[String(f.id)] = f;
  const mapped = o.customFields !== undefined ? mapDealFields(customFields, ctx.fieldMap) : undefined;
  const statusId = o.statusId ?? row?.statusId ?? null;
  const next: NewAmoDealRow = {
    account,
    amoLeadId: o.amoLeadId,
    leadId: row?.leadId ?? null,
    name: o.name ?? row?.name ?? null,
    pipelineId: o.pipelineId ?? row?.pipelineId ?? null,
    statusId,
    responsibleUserId: o.responsibleUserId ?? row?.responsibleUserId ?? null,
    price: o.price ?? row?.price ?? null,
    fields: mapped ? (o.kind === 'snapshot' ? mapped : { ...(row?.fields ?? {}), ...mapped }) : (row?.fields ?? {}),
    customFields,
    contactIds: o.contactIds ?? row?.contactIds ?? [],
    isWon: statusId === STATUS_WON,
    isLost: statusId === STATUS_LOST,
    closedAt: closedAt(o, row, statusId),
    isDeleted: row?.isDeleted ?? false,
    deletedAt: row?.deletedAt ?? null,
    amoCreatedAt: o.createdAt !== undefined ? toDate(o.createdAt) : (row?.amoCreatedAt ?? null),
    amoUpdatedAt: toDate(o.at),
    updatedAt: new Date(),
  };
  const restoring = !!row?.isDeleted && (o.kind === 'restore' || o.kind === 'snapshot' || (row.deletedAt !== null && o.at > toUnix(row.deletedAt)));
  if (restoring) {
    next.isDeleted = false;
    next.deletedAt = null;
  }
  if (row && sameState(row, next)) return { changed: false, historyChanged, events: [] };
  // Link to our own lead (delivery records amo_lead_id, maybe just after the first webhook): looked up when the
  // deal is new and on stage moves and API reads until found, not on every field change.
  if (next.leadId === null && (!row || o.kind === 'add' || o.kind === 'snapshot' || row.statusId !== next.statusId)) {
    next.leadId = await linkedLeadId(tx, account, o.amoLeadId);
  }
  const events = diffEvents(row, next, o, restoring);
  if (row) await tx.update(amoDeals).set(next).where(dealKey(account, o.amoLeadId));
  else await tx.insert(amoDeals).values(next);
  await emit(tx, events.map((e) => ({ ...e, account })));
  return { changed: true, historyChanged, events: events.map((e) => e.type) };
}

const COMPARED = [
  'name', 'pipelineId', 'statusId', 'responsibleUserId', 'price', 'fields', 'customFields', 'contactIds', 'isDeleted',
  'closedAt', 'amoCreatedAt', 'amoUpdatedAt',
] as const;

/**
 * JSON with object keys sorted at every level: jsonb columns come back from PostgreSQL with their keys reordered
 * (shorter keys first), so a plain JSON.stringify comparison saw a change on every re-applied observation.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Date)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * Custom field values compared by field id and values only: webhooks carry no field `code` while the API's answer
 * does, so the same state read both ways differs in that metadata (a false "repair" on every reconciliation).
 */
function comparable(k: (typeof COMPARED)[number], v: unknown): string {
  if (k !== 'customFields' || !v || typeof v !== 'object') return canonicalJson(v);
  const out: Record<string, unknown> = {};
  for (const [id, f] of Object.entries(v as Record<string, { values?: unknown }>)) out[id] = f?.values ?? null;
  return canonicalJson(out);
}

/** Nothing we keep would change (a re-applied or same-second observation). */
function sameState(row: AmoDealRow, next: NewAmoDealRow): boolean {
  return COMPARED.every((k) => comparable(k, row[k]) === comparable(k, next[k]));
}

function closedAt(o: DealObservation, row: AmoDealRow | undefined, statusId: number | null): Date | null {
  if (statusId !== STATUS_WON && statusId !== STATUS_LOST) return null;
  if (o.closedAt) return toDate(o.closedAt);
  if (row?.closedAt && row.statusId === statusId) return row.closedAt;
  return toDate(o.at);
}

function diffEvents(row: AmoDealRow | undefined, next: NewAmoDealRow, o: DealObservation, restoring: boolean): NewEvent[] {
  const base = { amoLeadId: o.amoLeadId, leadId: next.leadId ?? null, occurredAt: toDate(o.at) };
  const to = { pipeline_id: next.pipelineId ?? null, status_id: next.statusId ?? null };
  const out: NewEvent[] = [];
  const closing = (): void => {
    if (next.statusId === STATUS_WON) out.push({ ...base, type: 'deal.won', payload: { ...to, price: next.price ?? null } });
    if (next.statusId === STATUS_LOST) out.push({ ...base, type: 'deal.lost', payload: { ...to } });
  };
  if (!row) {
    out.push({ ...base, type: 'deal.created', payload: { ...to, responsible_user_id: next.responsibleUserId ?? null, source: o.source } });
    closing();
    return out;
  }
  if (restoring) out.push({ ...base, type: 'deal.restored', payload: { ...to } });
  if (row.pipelineId !== next.pipelineId || row.statusId !== next.statusId) {
    out.push({ ...base, type: 'deal.stage_changed', payload: { from: stageOf(row), to } });
    closing();
  }
  if (row.responsibleUserId !== next.responsibleUserId) {
    out.push({ ...base, type: 'deal.responsible_changed', payload: { from: row.responsibleUserId, to: next.responsibleUserId ?? null } });
  }
  if (row.price !== next.price) out.push({ ...base, type: 'deal.price_changed', payload: { from: row.price, to: next.price ?? null } });
  const changedKeys = Object.keys({ ...row.fields, ...next.fields }).filter(
    (k) => canonicalJson(row.fields[k]) !== canonicalJson((next.fields as Record<string, unknown>)[k]),
  );
  if (changedKeys.length) out.push({ ...base, type: 'deal.fields_changed', payload: { keys: changedKeys } });
  return out;
}

async function applyDelete(tx: Tx, account: string, o: DealObservation, row: AmoDealRow | undefined): Promise<ApplyDealResult> {
  if (row?.isDeleted) return { changed: false, historyChanged: false, events: [] };
  // A delete carries no amoCRM time (webhook) or the event time (reconcile). A newer state wins over it.
  if (row?.amoUpdatedAt && toUnix(row.amoUpdatedAt) > o.at) return { changed: false, historyChanged: false, events: [] };
  const leadId = row?.leadId ?? (await linkedLeadId(tx, account, o.amoLeadId));
  const values = { isDeleted: true, deletedAt: toDate(o.at), updatedAt: new Date() };
  // A deal first heard of through its deletion gets no stage: its history would start at an unknown time.
  if (row) await tx.update(amoDeals).set(values).where(dealKey(account, o.amoLeadId));
  else await tx.insert(amoDeals).values({ account, amoLeadId: o.amoLeadId, leadId, ...values });
  const events: NewEvent[] = [{ account, type: 'deal.deleted', amoLeadId: o.amoLeadId, leadId, occurredAt: toDate(o.at), payload: {} }];
  await emit(tx, events.map((e) => ({ ...e, account })));
  return { changed: true, historyChanged: false, events: ['deal.deleted'] };
}

async function undelete(tx: Tx, account: string, o: DealObservation, row: AmoDealRow, historyChanged: boolean): Promise<ApplyDealResult> {
  await tx.update(amoDeals).set({ isDeleted: false, deletedAt: null, updatedAt: new Date() }).where(dealKey(account, o.amoLeadId));
  await emit(tx, [{ account, type: 'deal.restored', amoLeadId: o.amoLeadId, leadId: row.leadId, occurredAt: toDate(o.at), payload: stageOf(row) }]);
  return { changed: true, historyChanged, events: ['deal.restored'] };
}
