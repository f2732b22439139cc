// Every source → observations: webhook items (parser events), amoCRM events API items, leads read via the API.
import type { AmoEvent, Lead } from '../amocrm/index.js';
import type { ContactEvent, LeadEvent } from '../amocrm/webhooks/index.js';
import { fromApiFields, fromHookFields } from './fields.js';
import type { ContactObservation, DealObservation } from './types.js';

/** A webhook lead item. `receivedAt` (unix s) stands in when amoCRM sent no timestamp (deletes). */
export function observeLeadEvent(e: LeadEvent, receivedAt: number): DealObservation {
  const d = e.data;
  const stamp = d.updatedAt ?? d.lastModified;
  const o: DealObservation = {
    amoLeadId: d.id,
    kind: e.action,
    at: stamp ?? receivedAt,
    stamped: stamp !== undefined,
    source: 'webhook',
  };
  if (d.name !== undefined) o.name = d.name;
  if (d.pipelineId !== undefined && d.statusId !== undefined) {
    o.pipelineId = d.pipelineId;
    o.statusId = d.statusId;
  }
  if (d.price !== undefined) o.price = d.price;
  if (d.responsibleUserId !== undefined) o.responsibleUserId = d.responsibleUserId;
  const created = d.createdAt ?? d.dateCreate;
  if (created !== undefined) o.createdAt = created;
  if (d.customFields !== undefined) o.customFields = fromHookFields(d.customFields);
  return o;
}

export function observeContactEvent(e: ContactEvent, receivedAt: number): ContactObservation {
  const d = e.data;
  const o: ContactObservation = {
    amoContactId: d.id,
    kind: d.type,
    action: e.action,
    at: d.updatedAt ?? d.lastModified ?? receivedAt,
  };
  if (d.name !== undefined) o.name = d.name;
  if (d.responsibleUserId !== undefined) o.responsibleUserId = d.responsibleUserId;
  if (d.customFields !== undefined) o.customFields = fromHookFields(d.customFields);
  if (d.linkedLeadsId !== undefined) o.leadIds = d.linkedLeadsId;
  return o;
}

/** A lead read through GET /api/v4/leads/{id}: complete and authoritative. */
export function observeLeadSnapshot(lead: Lead): DealObservation {
  return {
    amoLeadId: lead.id,
    kind: 'snapshot',
    at: lead.updated_at,
    stamped: true,
    source: 'reconcile',
    name: lead.name,
    pipelineId: lead.pipeline_id,
    statusId: lead.status_id,
    price: lead.price,
    responsibleUserId: lead.responsible_user_id,
    createdAt: lead.created_at,
    closedAt: lead.closed_at,
    customFields: fromApiFields(lead.custom_fields_values),
    contactIds: (lead._embedded.contacts ?? []).map((c) => c.id),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `lead_status_changed` → the stage the deal entered at the event's time; `lead_deleted` → a delete. */
export function observeAmoEvent(e: AmoEvent): DealObservation | undefined {
  if (e.entity_type !== 'lead') return undefined;
  const base = { amoLeadId: e.entity_id, at: e.created_at, stamped: true, source: 'reconcile' as const };
  if (e.type === 'lead_deleted') return { ...base, kind: 'delete' };
  if (e.type !== 'lead_status_changed') return undefined;
  const after = e.value_after.map((v) => v.lead_status).find(isObj);
  if (!after) return undefined;
  const statusId = Number(after.id);
  const pipelineId = Number(after.pipeline_id);
  if (!Number.isInteger(statusId) || !Number.isInteger(pipelineId)) return undefined;
  return { ...base, kind: 'status', statusId, pipelineId };
}
