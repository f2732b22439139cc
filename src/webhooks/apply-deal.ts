// Applies a DealObservation to a deal of an ApplyState (amo_deals + amo_deal_stages + domain_events once flushed).
// Rules: the stage history records every observation at its amoCRM time (late ones are inserted in place);
// the current state only moves forward (an observation older than amo_updated_at changes nothing but history);
// domain events are emitted only for real changes of the current state, so re-applying is harmless.
import { STATUS_LOST, STATUS_WON } from '../amocrm/index.js';
import type { AmoDealRow, AmoFieldValue } from '../db/index.js';
import type { EventName, NewEvent } from '../events/index.js';
import { ApplyState } from './apply-state.js';
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

const stageOf = (r: { pipelineId: number | null; statusId: number | null }) => ({ pipeline_id: r.pipelineId, status_id: r.statusId });

/** Applies `o` in its own small batch, inside the caller's transaction (reconciliation, one observation at a time). */
export async function applyDealObservation(tx: Tx, o: DealObservation, ctx: ApplyContext): Promise<ApplyDealResult> {
  const state = await ApplyState.load(tx, ctx.account, [o.amoLeadId]);
  const r = applyDeal(state, o, ctx);
  await state.flush(tx);
  return r;
}

/** Applies `o` to `state`, which holds the deal `o.amoLeadId` (ApplyState.load). */
export function applyDeal(state: ApplyState, o: DealObservation, ctx: ApplyContext): ApplyDealResult {
  const r = applyObservation(state, o, ctx);
  // A late stage placed in the past, or a change no other event names (amo_created_at learnt later): readers of
  // the deal's facts (the analytics rollup) recompute it.
  if ((r.historyChanged || r.changed) && r.events.length === 0) {
    // With the first stage: a deal whose creation webhook came after a later one (amoCRM's deliveries can overtake
    // each other) was created here in a later stage, and only now is its creation stage known (src/followups).
    const first = state.stages(o.amoLeadId)[0];
    const deal = state.deal(o.amoLeadId);
    const payload = { first_stage: first ? stageOf(first) : null, stage: deal ? stageOf(deal) : null };
    state.emit([{ type: 'deal.history_changed', amoLeadId: o.amoLeadId, payload, occurredAt: toDate(o.at) }]);
    return { ...r, events: ['deal.history_changed'] };
  }
  return r;
}

function applyObservation(state: ApplyState, o: DealObservation, ctx: ApplyContext): ApplyDealResult {
  const { account } = ctx;
  const row = state.deal(o.amoLeadId);
  if (o.kind === 'delete') return applyDelete(state, o, row);

  const held = row?.amoUpdatedAt ? toUnix(row.amoUpdatedAt) : undefined;
  const newest = row !== undefined && held !== undefined && o.at >= held;
  let historyChanged = false;
  if (o.pipelineId !== undefined && o.statusId !== undefined) {
    const stage = { pipelineId: o.pipelineId, statusId: o.statusId, at: o.at, source: o.source };
    const periods = state.stages(o.amoLeadId);
    if (!newest) historyChanged = recordStage(periods, stage);
    else if (row.pipelineId !== o.pipelineId || row.statusId !== o.statusId || row.statusId === null) {
      // Nothing recorded is newer than the row's amo_updated_at, so this closes the open period.
      appendStage(periods, stage);
      historyChanged = true;
    }
  }
  if (held !== undefined && o.at < held) {
    // Older than what we hold: it may still un-delete (a read through the API is the truth right now).
    if (row?.isDeleted && o.kind === 'snapshot') return undelete(state, o, row, historyChanged);
    return { changed: false, historyChanged, events: [] };
  }

  const customFields: Record<string, AmoFieldValue> = o.kind === 'snapshot' ? {} : { ...(row?.customFields ?? {}) };
  for (const f of o.customFields ?? []) customFields[String(f.id)] = f;
  const mapped = o.customFields !== undefined ? mapDealFields(customFields, ctx.fieldMap) : undefined;
  const statusId = o.statusId ?? row?.statusId ?? null;
  const next: AmoDealRow = {
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
    createdAt: row?.createdAt ?? new Date(),
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
    next.leadId = state.linkedLeadId(o.amoLeadId);
  }
  const events = diffEvents(row, next, o, restoring);
  state.putDeal(next);
  state.emit(events);
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
function sameState(row: AmoDealRow, next: AmoDealRow): boolean {
  return COMPARED.every((k) => comparable(k, row[k]) === comparable(k, next[k]));
}

function closedAt(o: DealObservation, row: AmoDealRow | undefined, statusId: number | null): Date | null {
  if (statusId !== STATUS_WON && statusId !== STATUS_LOST) return null;
  if (o.closedAt) return toDate(o.closedAt);
  if (row?.closedAt && row.statusId === statusId) return row.closedAt;
  return toDate(o.at);
}

function diffEvents(row: AmoDealRow | undefined, next: AmoDealRow, o: DealObservation, restoring: boolean): NewEvent[] {
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

function applyDelete(state: ApplyState, o: DealObservation, row: AmoDealRow | undefined): ApplyDealResult {
  if (row?.isDeleted) return { changed: false, historyChanged: false, events: [] };
  // A delete carries no amoCRM time (webhook) or the event time (reconcile). A newer state wins over it.
  if (row?.amoUpdatedAt && toUnix(row.amoUpdatedAt) > o.at) return { changed: false, historyChanged: false, events: [] };
  const leadId = row?.leadId ?? state.linkedLeadId(o.amoLeadId);
  const deleted = { isDeleted: true, deletedAt: toDate(o.at), updatedAt: new Date() };
  // A deal first heard of through its deletion gets no stage: its history would start at an unknown time.
  state.putDeal(row ? { ...row, ...deleted } : { ...emptyDeal(state.account, o.amoLeadId), leadId, ...deleted });
  state.emit([{ type: 'deal.deleted', amoLeadId: o.amoLeadId, leadId, occurredAt: toDate(o.at), payload: {} }]);
  return { changed: true, historyChanged: false, events: ['deal.deleted'] };
}

function undelete(state: ApplyState, o: DealObservation, row: AmoDealRow, historyChanged: boolean): ApplyDealResult {
  state.putDeal({ ...row, isDeleted: false, deletedAt: null, updatedAt: new Date() });
  state.emit([{ type: 'deal.restored', amoLeadId: o.amoLeadId, leadId: row.leadId, occurredAt: toDate(o.at), payload: stageOf(row) }]);
  return { changed: true, historyChanged, events: ['deal.restored'] };
}

/** A deal row as the table's defaults make it. */
function emptyDeal(account: string, amoLeadId: number): AmoDealRow {
  const now = new Date();
  return {
    account, amoLeadId, leadId: null, name: null, pipelineId: null, statusId: null, responsibleUserId: null, price: null,
    fields: {}, customFields: {}, contactIds: [], isWon: false, isLost: false, closedAt: null, isDeleted: false,
    deletedAt: null, amoCreatedAt: null, amoUpdatedAt: null, createdAt: now, updatedAt: now,
  };
}
