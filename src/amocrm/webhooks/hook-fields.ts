// v4 records → the legacy field names amoCRM's webhooks use (fact sheet §8.3, §8.4, §8.6). The emulator feeds
// these to encodeWebhookBody; undefined values are left out, exactly as amoCRM leaves out what it doesn't send.

import type { Company, Contact, CustomField, CustomFieldValues, EntityType, Lead, Task } from '../types.js';

const DATE_TYPES: ReadonlySet<string> = new Set(['date', 'date_time', 'birthday']);

// Legacy element_type numbers used by tasks and notes.
const ELEMENT_TYPE: Record<EntityType, number> = { contacts: 1, leads: 2, companies: 3, customers: 12 };

export function leadToHookFields(
  lead: Lead,
  opts: { fields: CustomField[]; old?: { status_id?: number; pipeline_id?: number; responsible_user_id?: number } },
): Record<string, unknown> {
  return defined({
    id: lead.id,
    name: lead.name,
    status_id: lead.status_id,
    old_status_id: opts.old?.status_id,
    price: lead.price,
    responsible_user_id: lead.responsible_user_id,
    old_responsible_user_id: opts.old?.responsible_user_id,
    last_modified: lead.updated_at,
    modified_user_id: lead.updated_by,
    created_user_id: lead.created_by,
    date_create: lead.created_at,
    pipeline_id: lead.pipeline_id,
    old_pipeline_id: opts.old?.pipeline_id,
    account_id: lead.account_id,
    tags: hookTags(lead._embedded.tags),
    custom_fields: hookCustomFields(lead.custom_fields_values, opts.fields, false),
    created_at: lead.created_at,
    updated_at: lead.updated_at,
  });
}

type LeadState = { status_id: number; pipeline_id: number; responsible_user_id: number };

/**
 * The `old_*` keys amoCRM puts on a lead item of one action: `old_status_id` only on `status` (plus
 * `old_pipeline_id` when the pipeline changed), `old_responsible_user_id` only on `responsible`, none on `update`
 * (recorded bodies, fact sheet §8.3; src/amocrm/fixtures/recorded/).
 */
export function leadOldFields(action: string, before: LeadState, after: LeadState): { status_id?: number; pipeline_id?: number; responsible_user_id?: number } | undefined {
  if (action === 'status') return { status_id: before.status_id, ...(before.pipeline_id !== after.pipeline_id ? { pipeline_id: before.pipeline_id } : {}) };
  if (action === 'responsible') return { responsible_user_id: before.responsible_user_id };
  return undefined;
}

export function contactToHookFields(
  c: Contact | Company,
  type: 'contact' | 'company',
  fields: CustomField[],
): Record<string, unknown> {
  const embedded = c._embedded;
  const linkedCompanyId = 'companies' in embedded ? embedded.companies[0]?.id : undefined;
  const linkedLeads: Record<string, { ID: number }> = {};
  for (const l of embedded.leads ?? []) linkedLeads[String(l.id)] = { ID: l.id };
  return defined({
    id: c.id,
    name: c.name,
    responsible_user_id: c.responsible_user_id,
    date_create: c.created_at,
    last_modified: c.updated_at,
    created_user_id: c.created_by,
    modified_user_id: c.updated_by,
    linked_company_id: type === 'contact' ? linkedCompanyId : undefined,
    account_id: c.account_id,
    tags: hookTags(embedded.tags),
    custom_fields: hookCustomFields(c.custom_fields_values, fields, true),
    linked_leads_id: linkedLeads,
    created_at: c.created_at,
    updated_at: c.updated_at,
    type,
  });
}

export function taskToHookFields(t: Task): Record<string, unknown> {
  return defined({
    id: t.id,
    element_id: t.entity_id ?? undefined,
    element_type: t.entity_type ? ELEMENT_TYPE[t.entity_type] : undefined,
    date_create: phpDate(t.created_at),
    text: t.text,
    status: t.is_completed ? '1' : '0',
    account_id: t.account_id,
    created_user_id: t.created_by,
    last_modified: phpDate(t.updated_at),
    responsible_user_id: t.responsible_user_id,
    complete_till: phpDate(t.complete_till),
    complete_before: t.complete_till,
    task_type: t.task_type_id,
    result: Array.isArray(t.result) ? undefined : { text: t.result.text },
    created_at: t.created_at,
    updated_at: t.updated_at,
  });
}

export function deletedHookFields(id: number, extra?: Record<string, unknown>): Record<string, unknown> {
  return { id, ...extra };
}

function hookTags(tags: { id: number; name: string }[]): { id: number; name: string }[] {
  return tags.map((t) => ({ id: t.id, name: t.name }));
}

function hookCustomFields(
  values: CustomFieldValues[] | null,
  fields: CustomField[],
  withCode: boolean,
): Record<string, unknown>[] | undefined {
  if (!values || values.length === 0) return undefined;
  const byId = new Map(fields.map((f) => [f.id, f]));
  return values.map((cfv) => {
    const def = byId.get(cfv.field_id);
    const isDate = DATE_TYPES.has(def?.type ?? cfv.field_type);
    return defined({
      id: cfv.field_id,
      name: cfv.field_name || def?.name,
      code: withCode ? (cfv.field_code ?? def?.code ?? undefined) : undefined,
      // Date fields use the bare `values[m]=ts` shape; everything else `values[m][value]` (+ `[enum]`).
      values: cfv.values.map((v) => (isDate ? v.value : defined({ value: v.value, enum: v.enum_id }))),
    });
  });
}

/** Unix seconds → "Y-m-d H:i:s" (UTC; amoCRM uses the account's time zone, which the SDK does not know). */
export function phpDate(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  return `${date} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
