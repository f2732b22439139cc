// Validation and application of lead / contact / company write items, shared by plain, complex and unsorted routes.
import type { CustomFieldValues, EntityType, ValidationErrorItem } from '../amocrm/types.js';
import type { EmuCtx } from './context.js';
import { applyTags } from './routes/tags.js';
import { firstStage, mainPipeline, nextId, type ContactRec, type LeadRec, type PipelineRec } from './state.js';
import { applyCfv, checkTagRefs, checkTypes, err, isInt, isObj, parseCfv, type Obj } from './validation.js';

export interface LeadPlan {
  item: Obj;
  cfv: Map<number, CustomFieldValues | null>;
  pipeline?: PipelineRec;
  statusId?: number;
}

const LEAD_TYPES = {
  name: 'string',
  price: 'int',
  status_id: 'int',
  pipeline_id: 'int',
  responsible_user_id: 'int',
  created_by: 'int',
  updated_by: 'int',
  created_at: 'int',
  updated_at: 'int',
  closed_at: 'int?',
  loss_reason_id: 'int?',
} as const;

export function checkLead(ctx: EmuCtx, item: Obj, prefix: string, errors: ValidationErrorItem[], existing?: LeadRec): LeadPlan {
  checkTypes(item, LEAD_TYPES, prefix, errors);
  const plan: LeadPlan = { item, cfv: parseCfv(ctx.store, 'leads', item.custom_fields_values, prefix, errors) };
  if (isInt(item.pipeline_id)) {
    plan.pipeline = ctx.store.pipelines.get(item.pipeline_id);
    if (!plan.pipeline) errors.push(err('NotSupportedChoice', `${prefix}pipeline_id`));
  }
  if (isInt(item.status_id)) {
    const p = plan.pipeline ?? (existing ? ctx.store.pipelines.get(existing.pipeline_id) : undefined) ?? mainPipeline(ctx.store);
    const inP = p.statuses.some((s) => s.id === item.status_id);
    const owner = inP ? p : [...ctx.store.pipelines.values()].find((x) => x.statuses.some((s) => s.id === item.status_id));
    if (!owner || (plan.pipeline && !inP)) errors.push(err('NotSupportedChoice', `${prefix}status_id`));
    else {
      plan.pipeline = owner;
      plan.statusId = item.status_id;
    }
  }
  if (isInt(item.responsible_user_id) && !ctx.store.users.some((u) => u.id === item.responsible_user_id)) errors.push(err('NotSupportedChoice', `${prefix}responsible_user_id`));
  checkTagRefs(item.tags_to_add, `${prefix}tags_to_add`, errors);
  checkTagRefs(item.tags_to_delete, `${prefix}tags_to_delete`, errors);
  const emb = isObj(item._embedded) ? item._embedded : undefined;
  if (emb) {
    checkTagRefs(emb.tags, `${prefix}_embedded.tags`, errors);
    for (const [k, kind] of [['contacts', 'contact'], ['companies', 'company']] as const) {
      const list = emb[k];
      if (list === undefined) continue;
      if (!Array.isArray(list)) errors.push(err('InvalidType', `${prefix}_embedded.${k}`));
      else
        list.forEach((c, i) => {
          const rec = isObj(c) && isInt(c.id) ? ctx.store.contacts.get(c.id) : undefined;
          if (!rec || rec.kind !== kind) errors.push(err('NotFound', `${prefix}_embedded.${k}.${i}.id`));
        });
    }
  }
  return plan;
}

function closedAt(statusId: number, prev: number | null, now: number): number | null {
  if (statusId === 142 || statusId === 143) return prev ?? now;
  return null;
}

export function createLead(ctx: EmuCtx, plan: LeadPlan, by: number, forceStatus?: { pipelineId: number; statusId: number }): LeadRec {
  const now = ctx.nowSec();
  const item = plan.item;
  const p = forceStatus ? (ctx.store.pipelines.get(forceStatus.pipelineId) ?? mainPipeline(ctx.store)) : (plan.pipeline ?? mainPipeline(ctx.store));
  const statusId = forceStatus?.statusId ?? plan.statusId ?? firstStage(p).id;
  const id = nextId(ctx.store, 'lead');
  const emb = isObj(item._embedded) ? item._embedded : {};
  const refs = (v: unknown): number[] => (Array.isArray(v) ? v.filter(isObj).map((c) => Number(c.id)) : []);
  const r: LeadRec = {
    id,
    name: typeof item.name === 'string' ? item.name : `Сделка #${id}`,
    price: isInt(item.price) ? item.price : 0,
    responsible_user_id: isInt(item.responsible_user_id) ? item.responsible_user_id : by,
    group_id: 0,
    status_id: statusId,
    pipeline_id: p.id,
    loss_reason_id: isInt(item.loss_reason_id) ? item.loss_reason_id : null,
    source_id: null,
    created_by: isInt(item.created_by) ? item.created_by : by,
    updated_by: isInt(item.created_by) ? item.created_by : by,
    created_at: isInt(item.created_at) ? item.created_at : now,
    updated_at: isInt(item.updated_at) ? item.updated_at : now,
    closed_at: isInt(item.closed_at) ? item.closed_at : closedAt(statusId, null, now),
    closest_task_at: null,
    is_deleted: false,
    cfv: applyCfv([], plan.cfv),
    tags: applyTags(ctx.store, 'leads', [], item),
    contacts: refs(emb.contacts).map((cid, i) => ({ id: cid, is_main: i === 0 })),
    companies: refs(emb.companies).slice(0, 1),
    hidden: false,
  };
  ctx.store.leads.set(id, r);
  return r;
}

export function patchLead(ctx: EmuCtx, before: LeadRec, plan: LeadPlan, by: number): LeadRec {
  const item = plan.item;
  const now = ctx.nowSec();
  const a: LeadRec = structuredClone(before);
  if (typeof item.name === 'string') a.name = item.name;
  if (isInt(item.price)) a.price = item.price;
  if (isInt(item.responsible_user_id)) a.responsible_user_id = item.responsible_user_id;
  if (isInt(item.loss_reason_id) || item.loss_reason_id === null) a.loss_reason_id = item.loss_reason_id;
  if (plan.pipeline) {
    a.pipeline_id = plan.pipeline.id;
    a.status_id = plan.statusId ?? (plan.pipeline.id === before.pipeline_id ? before.status_id : firstStage(plan.pipeline).id);
  }
  a.closed_at = isInt(item.closed_at) ? item.closed_at : closedAt(a.status_id, before.status_id === a.status_id ? before.closed_at : null, now);
  if (plan.cfv.size) a.cfv = applyCfv(a.cfv, plan.cfv);
  a.tags = applyTags(ctx.store, 'leads', a.tags, item);
  const emb = isObj(item._embedded) ? item._embedded : {};
  if (Array.isArray(emb.contacts)) for (const c of emb.contacts.filter(isObj)) if (!a.contacts.some((x) => x.id === c.id)) a.contacts.push({ id: Number(c.id), is_main: a.contacts.length === 0 });
  if (Array.isArray(emb.companies)) a.companies = emb.companies.filter(isObj).map((c) => Number(c.id)).slice(0, 1);
  a.updated_at = isInt(item.updated_at) ? item.updated_at : now;
  a.updated_by = by;
  ctx.store.leads.set(a.id, a);
  ctx.effects.leadChanged(before, a, by);
  return a;
}

// ---------------------------------------------------------------- contacts and companies

export interface ContactPlan {
  item: Obj;
  cfv: Map<number, CustomFieldValues | null>;
}

export function checkContact(ctx: EmuCtx, kind: 'contact' | 'company', item: Obj, prefix: string, errors: ValidationErrorItem[]): ContactPlan {
  const entity: EntityType = kind === 'contact' ? 'contacts' : 'companies';
  checkTypes(item, { name: 'string', first_name: 'string', last_name: 'string', responsible_user_id: 'int', created_by: 'int', created_at: 'int', updated_at: 'int' }, prefix, errors);
  if (isInt(item.responsible_user_id) && !ctx.store.users.some((u) => u.id === item.responsible_user_id)) errors.push(err('NotSupportedChoice', `${prefix}responsible_user_id`));
  checkTagRefs(item.tags_to_add, `${prefix}tags_to_add`, errors);
  checkTagRefs(item.tags_to_delete, `${prefix}tags_to_delete`, errors);
  return { item, cfv: parseCfv(ctx.store, entity, item.custom_fields_values, prefix, errors) };
}

export function createContact(ctx: EmuCtx, kind: 'contact' | 'company', plan: ContactPlan, by: number, hidden = false): ContactRec {
  const item = plan.item;
  const now = ctx.nowSec();
  const first = typeof item.first_name === 'string' ? item.first_name : '';
  const last = typeof item.last_name === 'string' ? item.last_name : '';
  const name = typeof item.name === 'string' ? item.name : [first, last].filter(Boolean).join(' ');
  const emb = isObj(item._embedded) ? item._embedded : {};
  const r: ContactRec = {
    id: nextId(ctx.store, 'contact'),
    kind,
    name,
    first_name: first,
    last_name: last,
    responsible_user_id: isInt(item.responsible_user_id) ? item.responsible_user_id : by,
    group_id: 0,
    created_by: isInt(item.created_by) ? item.created_by : by,
    updated_by: by,
    created_at: isInt(item.created_at) ? item.created_at : now,
    updated_at: isInt(item.updated_at) ? item.updated_at : now,
    closest_task_at: null,
    is_deleted: false,
    cfv: applyCfv([], plan.cfv),
    tags: applyTags(ctx.store, kind === 'contact' ? 'contacts' : 'companies', [], item),
    companies: Array.isArray(emb.companies) ? emb.companies.filter(isObj).map((c) => Number(c.id)) : [],
    hidden,
  };
  ctx.store.contacts.set(r.id, r);
  if (!hidden) ctx.effects.contactAdded(r, by);
  return r;
}

export function patchContact(ctx: EmuCtx, before: ContactRec, plan: ContactPlan, by: number): ContactRec {
  const item = plan.item;
  const a = structuredClone(before);
  if (typeof item.first_name === 'string') a.first_name = item.first_name;
  if (typeof item.last_name === 'string') a.last_name = item.last_name;
  if (typeof item.name === 'string') a.name = item.name;
  else if (typeof item.first_name === 'string' || typeof item.last_name === 'string') a.name = [a.first_name, a.last_name].filter(Boolean).join(' ');
  if (isInt(item.responsible_user_id)) a.responsible_user_id = item.responsible_user_id;
  if (plan.cfv.size) a.cfv = applyCfv(a.cfv, plan.cfv);
  a.tags = applyTags(ctx.store, a.kind === 'contact' ? 'contacts' : 'companies', a.tags, item);
  a.updated_at = isInt(item.updated_at) ? item.updated_at : ctx.nowSec();
  a.updated_by = by;
  ctx.store.contacts.set(a.id, a);
  ctx.effects.contactChanged(before, a, by);
  return a;
}

/** Links a contact and a company to each other (both directions). */
export function linkContactCompany(ctx: EmuCtx, contactId: number, companyId: number): void {
  const c = ctx.store.contacts.get(contactId);
  const co = ctx.store.contacts.get(companyId);
  if (c && !c.companies.includes(companyId)) c.companies.push(companyId);
  if (co && !co.companies.includes(contactId)) co.companies.push(contactId);
}
