// Internal records → wire objects (types.ts shapes; key sets checked against fixtures in tests).
import type { Company, Contact, Lead, Pipeline, Status, Tag, Task } from '../amocrm/types.js';
import type { ContactRec, EmulatorStore, LeadRec, PipelineRec, TagEntity } from './state.js';

const href = (base: string, path: string) => ({ self: { href: base + path } });

export function tagsOf(store: EmulatorStore, entity: TagEntity, ids: number[]): Tag[] {
  return ids.map((id) => store.tags[entity].get(id)).filter((t): t is Tag => t !== undefined);
}

export function toLead(store: EmulatorStore, base: string, r: LeadRec, withs: string[] = []): Lead {
  const emb: Lead['_embedded'] = {
    tags: tagsOf(store, 'leads', r.tags),
    companies: r.companies.map((id) => ({ id, _links: href(base, `/api/v4/companies/${id}`) })),
  };
  if (withs.includes('contacts')) emb.contacts = r.contacts.map((c) => ({ id: c.id, is_main: c.is_main, _links: href(base, `/api/v4/contacts/${c.id}`) }));
  return {
    id: r.id,
    name: r.name,
    price: r.price,
    responsible_user_id: r.responsible_user_id,
    group_id: r.group_id,
    status_id: r.status_id,
    pipeline_id: r.pipeline_id,
    loss_reason_id: r.loss_reason_id,
    ...(withs.includes('source_id') ? { source_id: r.source_id } : {}), // a `with=source_id` extra (recorded lists have none)
    created_by: r.created_by,
    updated_by: r.updated_by,
    created_at: r.created_at,
    updated_at: r.updated_at,
    closed_at: r.closed_at,
    closest_task_at: r.closest_task_at,
    is_deleted: r.is_deleted,
    custom_fields_values: r.cfv.length ? r.cfv : null,
    score: null,
    account_id: store.accountId,
    labor_cost: null,
    _links: href(base, `/api/v4/leads/${r.id}`),
    _embedded: emb,
  };
}

export function leadsOfContact(store: EmulatorStore, c: ContactRec): number[] {
  return [...store.leads.values()]
    .filter((l) => !l.is_deleted && (c.kind === 'contact' ? l.contacts.some((x) => x.id === c.id) : l.companies.includes(c.id)))
    .map((l) => l.id);
}

export function toContact(store: EmulatorStore, base: string, r: ContactRec, withs: string[] = []): Contact {
  const emb: Contact['_embedded'] = {
    tags: tagsOf(store, 'contacts', r.tags),
    companies: r.companies.map((id) => ({ id, _links: href(base, `/api/v4/companies/${id}`) })),
  };
  if (withs.includes('leads')) emb.leads = leadsOfContact(store, r).map((id) => ({ id, _links: href(base, `/api/v4/leads/${id}`) }));
  return {
    id: r.id,
    name: r.name,
    first_name: r.first_name,
    last_name: r.last_name,
    responsible_user_id: r.responsible_user_id,
    group_id: r.group_id,
    created_by: r.created_by,
    updated_by: r.updated_by,
    created_at: r.created_at,
    updated_at: r.updated_at,
    closest_task_at: r.closest_task_at,
    is_deleted: r.is_deleted,
    is_unsorted: r.hidden,
    custom_fields_values: r.cfv.length ? r.cfv : null,
    account_id: store.accountId,
    _links: href(base, `/api/v4/contacts/${r.id}`),
    _embedded: emb,
  };
}

export function toCompany(store: EmulatorStore, base: string, r: ContactRec, withs: string[] = []): Company {
  const emb: Company['_embedded'] = { tags: tagsOf(store, 'companies', r.tags) };
  if (withs.includes('contacts')) emb.contacts = r.companies.map((id) => ({ id, _links: href(base, `/api/v4/contacts/${id}`) }));
  if (withs.includes('leads')) emb.leads = leadsOfContact(store, r).map((id) => ({ id, _links: href(base, `/api/v4/leads/${id}`) }));
  return {
    id: r.id,
    name: r.name,
    responsible_user_id: r.responsible_user_id,
    group_id: r.group_id,
    created_by: r.created_by,
    updated_by: r.updated_by,
    created_at: r.created_at,
    updated_at: r.updated_at,
    closest_task_at: r.closest_task_at,
    is_deleted: r.is_deleted,
    custom_fields_values: r.cfv.length ? r.cfv : null,
    account_id: store.accountId,
    _links: href(base, `/api/v4/companies/${r.id}`),
    _embedded: emb,
  };
}

export function toStatus(base: string, s: Status): Status {
  return { ...s, _links: href(base, `/api/v4/leads/pipelines/${s.pipeline_id}/statuses/${s.id}`) };
}

export function toPipeline(store: EmulatorStore, base: string, p: PipelineRec): Pipeline {
  return {
    id: p.id,
    name: p.name,
    sort: p.sort,
    is_main: p.is_main,
    is_unsorted_on: p.is_unsorted_on,
    is_archive: p.is_archive,
    account_id: store.accountId,
    _links: href(base, `/api/v4/leads/pipelines/${p.id}`),
    _embedded: { statuses: [...p.statuses].sort((a, b) => a.sort - b.sort).map((s) => toStatus(base, s)) },
  };
}

export function toTask(base: string, t: Task): Task {
  return { ...t, _links: href(base, `/api/v4/tasks/${t.id}`) };
}
