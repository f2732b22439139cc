// Item normalisers for CRM records: leads, contacts/companies, customers, catalog elements, plus the shared
// custom-field and tag decoders (fact sheet §8.3, §8.4).

import type {
  HookCatalogElement,
  HookContact,
  HookCustomer,
  HookCustomField,
  HookCustomFieldValue,
  HookLead,
  HookTag,
} from './events.js';
import { compact, isTree, items, leafToNumber, num, numbers, str } from './tree.js';
import type { Leaf, Node, Tree } from './tree.js';

const INT_RE = /^-?\d+$/;

/**
 * Custom fields in all wire shapes: `values[0][value]=x`, `values[0][value]=x&values[0][enum]=id`,
 * `values[0]=1542067200` (dates; numeric → number), a single object `values[value]=x` (radiobutton) and flat
 * `values: ["1"]`. Returns undefined when the item had no `custom_fields` key.
 */
export function customFields(n: Node | undefined): HookCustomField[] | undefined {
  if (n === undefined) return undefined;
  const out: HookCustomField[] = [];
  for (const f of items(n)) {
    if (!isTree(f)) continue;
    const id = num(f, 'id');
    if (id === undefined) continue;
    out.push(compact({ id, name: str(f, 'name'), code: str(f, 'code'), values: customFieldValues(f.get('values')) }));
  }
  return out;
}

function customFieldValues(n: Node | undefined): HookCustomFieldValue[] {
  if (n === undefined) return [];
  if (!isTree(n)) return [flatValue(n)];
  if (n.has('value') || n.has('enum')) return [objectValue(n)];
  return [...n.values()].map((v) => (isTree(v) ? objectValue(v) : flatValue(v)));
}

function flatValue(v: Leaf): HookCustomFieldValue {
  if (typeof v === 'string' && INT_RE.test(v.trim())) return { value: Number(v.trim()) };
  return { value: v };
}

function objectValue(t: Tree): HookCustomFieldValue {
  const raw = t.get('value');
  // Structured values (legal_entity, …) don't fit the scalar slot: null here, full data in event.raw.
  const value = raw === undefined || isTree(raw) ? null : raw;
  return compact({ value, enum: leafToNumber(t.get('enum') ?? t.get('enum_id')) });
}

export function tags(n: Node | undefined): HookTag[] | undefined {
  if (n === undefined) return undefined;
  const out: HookTag[] = [];
  for (const t of items(n)) if (isTree(t)) out.push(compact({ id: num(t, 'id'), name: str(t, 'name') }));
  return out;
}

export function toLead(t: Tree): HookLead | undefined {
  const id = num(t, 'id');
  if (id === undefined) return undefined;
  return compact({
    id,
    name: str(t, 'name'),
    statusId: num(t, 'status_id'),
    oldStatusId: num(t, 'old_status_id'),
    price: num(t, 'price'),
    responsibleUserId: num(t, 'responsible_user_id'),
    oldResponsibleUserId: num(t, 'old_responsible_user_id'),
    lastModified: num(t, 'last_modified'),
    modifiedUserId: num(t, 'modified_user_id'),
    createdUserId: num(t, 'created_user_id'),
    dateCreate: num(t, 'date_create'),
    pipelineId: num(t, 'pipeline_id'),
    oldPipelineId: num(t, 'old_pipeline_id'),
    accountId: num(t, 'account_id'),
    groupId: num(t, 'group_id'),
    lossReasonId: num(t, 'loss_reason_id'),
    tags: tags(t.get('tags')),
    customFields: customFields(t.get('custom_fields')),
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}

export function contactType(t: Tree): 'contact' | 'company' {
  return str(t, 'type')?.trim().toLowerCase() === 'company' ? 'company' : 'contact';
}

export function toContact(t: Tree): HookContact | undefined {
  const id = num(t, 'id');
  if (id === undefined) return undefined;
  const linked = t.get('linked_leads_id');
  return compact({
    id,
    type: contactType(t),
    name: str(t, 'name'),
    firstName: str(t, 'first_name'),
    lastName: str(t, 'last_name'),
    responsibleUserId: num(t, 'responsible_user_id'),
    oldResponsibleUserId: num(t, 'old_responsible_user_id'),
    dateCreate: num(t, 'date_create'),
    lastModified: num(t, 'last_modified'),
    createdUserId: num(t, 'created_user_id'),
    modifiedUserId: num(t, 'modified_user_id'),
    companyName: str(t, 'company_name'),
    linkedCompanyId: num(t, 'linked_company_id'),
    accountId: num(t, 'account_id'),
    groupId: num(t, 'group_id'),
    tags: tags(t.get('tags')),
    customFields: customFields(t.get('custom_fields')),
    linkedLeadsId: linked === undefined ? undefined : numbers(linked),
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}

export function toCustomer(t: Tree): HookCustomer | undefined {
  const id = num(t, 'id');
  if (id === undefined) return undefined;
  return compact({
    id,
    name: str(t, 'name'),
    statusId: num(t, 'status_id'),
    responsibleUserId: num(t, 'responsible_user_id'),
    oldResponsibleUserId: num(t, 'old_responsible_user_id'),
    nextPrice: num(t, 'next_price'),
    nextDate: num(t, 'next_date'),
    accountId: num(t, 'account_id'),
    tags: tags(t.get('tags')),
    customFields: customFields(t.get('custom_fields')),
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}

export function toCatalogElement(t: Tree): HookCatalogElement | undefined {
  const id = num(t, 'id');
  if (id === undefined) return undefined;
  return compact({
    id,
    catalogId: num(t, 'catalog_id'),
    name: str(t, 'name'),
    type: str(t, 'type'),
    customFields: customFields(t.get('custom_fields')),
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}
