// Lead row + form config → one `/leads/complex` item (pure). Also the note text and the contact keys.
import Mustache from 'mustache';
import type { ComplexLeadInput, ContactInput, CustomFieldValueInput, CustomFieldValuesInput, TagRef } from '../amocrm/index.js';
import type { Config, FieldMapping, FormConfig } from '../config/index.js';
import type { LeadRow } from '../db/index.js';
import type { ResolvedMap } from '../provision/index.js';
import { noteFor } from './note-template.js';
import { AppError } from '../errors.js';

export const MARKER_FIELD_CODE = 'LEADBRIDGE_ID';
export const markerTag = (leadId: string): string => `lb-${leadId}`;

/** How our lead id travels on the deal: the LEADBRIDGE_ID text field (by id or code), or a tag when the account lacks it. */
export type Marker = { kind: 'field'; fieldId?: number } | { kind: 'tag' };

/** Attribution keys written to amoCRM's tracking fields unless a form maps them itself. */
export const TRACKING_CODES: Record<string, string> = {
  utm_source: 'UTM_SOURCE',
  utm_medium: 'UTM_MEDIUM',
  utm_campaign: 'UTM_CAMPAIGN',
  utm_content: 'UTM_CONTENT',
  utm_term: 'UTM_TERM',
  gclid: 'GCLID',
  yclid: 'YCLID',
  fbclid: 'FBCLID',
  referrer: 'REFERRER',
};

const MAX_CF_VALUES = 40;

export class BuildError extends AppError<'DELIVERY_CONFIG'> {
  constructor(message: string) {
    super('DELIVERY_CONFIG', message);
  }
}

export function defaultForm(key: string): FormConfig {
  return { key, title: key, mode: 'complex', dealName: '{{form_title}}: {{name}}', tags: [], fields: {}, extraFields: [], note: true, honeypot: 'website' };
}

/** `phone:+7912…`, `email:a@b.ru` — the local contact index keys of a lead. */
export function contactKeys(lead: Pick<LeadRow, 'phone' | 'email'>): string[] {
  const keys: string[] = [];
  if (lead.phone) keys.push(`phone:${lead.phone}`);
  if (lead.email) keys.push(`email:${lead.email.trim().toLowerCase()}`);
  return keys;
}

/** A value of the lead by name: core fields, then attribution, then extra. */
export function leadValue(lead: LeadRow, name: string): unknown {
  const core: Record<string, unknown> = { name: lead.name, phone: lead.phone, email: lead.email, message: lead.message, form: lead.formKey };
  if (name in core) return core[name] ?? undefined;
  const attr = lead.attribution[name];
  if (attr !== undefined) return attr;
  return lead.extra[name];
}

function view(lead: LeadRow, form: FormConfig): Record<string, unknown> {
  return { ...lead.extra, ...lead.attribution, name: lead.name ?? '', phone: lead.phone ?? '', email: lead.email ?? '', message: lead.message ?? '', form: lead.formKey, form_title: form.title, id: lead.id };
}

export function dealName(lead: LeadRow, form: FormConfig): string {
  // No HTML escaping: this is a CRM title, not a web page.
  const rendered = Mustache.render(form.dealName, view(lead, form), {}, { escape: (s: unknown) => String(s) }).trim();
  return (rendered.replace(/[:\-—\s]+$/u, '').trim() || form.title).slice(0, 255);
}

function toValues(raw: unknown, mapping: FieldMapping, resolved: { type?: string; enums?: Record<string, number> } | undefined): CustomFieldValueInput[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const out: CustomFieldValueInput[] = [];
  for (const v of list) {
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'object') continue;
    const mapped = mapping.enums?.[String(v)];
    if (typeof mapped === 'number') out.push({ enum_id: mapped });
    else if (typeof mapped === 'string' && resolved?.enums?.[mapped] !== undefined) out.push({ enum_id: resolved.enums[mapped] as number });
    else if (typeof mapped === 'string') out.push({ value: mapped });
    else if (resolved?.type === 'checkbox') out.push({ value: v === true || ['1', 'true', 'on', 'yes'].includes(String(v).toLowerCase()) });
    else if (typeof v === 'boolean' && resolved?.type !== 'text') out.push({ value: v });
    else {
      // Visitor text amoCRM would refuse for the provisioned type (an option the select does not have, "abc" for a
      // number) is left out: the deal is still delivered, and the value is in the note (noteText lists every field).
      const value = fitsType(String(v), resolved);
      if (value !== undefined) out.push({ value });
    }
  }
  return out;
}

const ENUM_TYPES = new Set(['select', 'multiselect', 'radiobutton', 'category']);
const NUMBER_TYPES = new Set(['numeric', 'price', 'monetary']);
const DATE_TYPES = new Set(['date', 'date_time', 'birthday']);

/** The value as the field's type takes it, or undefined when it cannot hold it (unknown type: as given). */
export function fitsType(text: string, field: { type?: string; enums?: Record<string, number> } | undefined): string | undefined {
  const type = field?.type;
  if (!type) return text;
  if (ENUM_TYPES.has(type)) return field?.enums && Object.hasOwn(field.enums, text) ? text : undefined;
  if (NUMBER_TYPES.has(type)) {
    const n = text.replace(/[\s\u00a0]/g, '').replace(',', '.');
    return /^-?\d{1,15}(?:\.\d{1,6})?$/.test(n) ? n : undefined;
  }
  if (DATE_TYPES.has(type)) {
    if (/^\d{1,11}$/.test(text.trim())) return text.trim();
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? String(Math.floor(ms / 1000)) : undefined;
  }
  return text;
}

function fieldRef(mapping: FieldMapping, resolved: ResolvedMap | undefined): { ref: { field_id: number } | { field_code: string }; info?: { type?: string; enums?: Record<string, number> } } {
  if (typeof mapping.field === 'number') return { ref: { field_id: mapping.field } };
  const r = resolved?.fields[mapping.entity]?.[mapping.field];
  if (r) return { ref: { field_id: r.id }, info: { type: r.type, enums: r.enums } };
  return { ref: { field_code: mapping.field } };
}

function resolvePipeline(form: FormConfig, resolved: ResolvedMap | undefined): { pipeline_id?: number; status_id?: number } {
  const out: { pipeline_id?: number; status_id?: number } = {};
  let stages: Record<string, number> | undefined;
  if (typeof form.pipeline === 'number') out.pipeline_id = form.pipeline;
  else if (typeof form.pipeline === 'string') {
    const p = resolved?.pipelines[form.pipeline];
    if (!p) throw new BuildError(`form "${form.key}": pipeline "${form.pipeline}" is not resolved; run leadbridge setup`);
    out.pipeline_id = p.id;
    stages = p.stages;
  }
  if (typeof form.stage === 'number') out.status_id = form.stage;
  else if (typeof form.stage === 'string') {
    const id = stages?.[form.stage];
    if (id === undefined) throw new BuildError(`form "${form.key}": stage "${form.stage}" is not resolved; run leadbridge setup`);
    out.status_id = id;
  }
  return out;
}

export interface BuildInput {
  lead: LeadRow;
  form: FormConfig;
  resolved?: ResolvedMap | undefined;
  marker: Marker;
  responsibleUserId?: number | undefined;
  /** Link this existing contact instead of creating one. */
  contactId?: number | undefined;
}

export function buildComplexItem(b: BuildInput): ComplexLeadInput {
  const { lead, form, resolved, marker } = b;
  const leadCf: CustomFieldValuesInput[] = [];
  const contactCf: CustomFieldValuesInput[] = [];
  for (const [name, mapping] of Object.entries(form.fields)) {
    const { ref, info } = fieldRef(mapping, resolved);
    const values = toValues(leadValue(lead, name), mapping, info);
    if (values.length === 0) continue;
    (mapping.entity === 'contacts' ? contactCf : leadCf).push({ ...ref, values });
  }
  for (const [key, code] of Object.entries(TRACKING_CODES)) {
    const v = lead.attribution[key];
    // A form mapping the key to a deal field writes it there itself; one mapping it to a contact field still gets
    // the deal's tracking field (the presets fill both: the Asia Deals guide lists UTM fields on contacts and deals).
    if (typeof v !== 'string' || v === '' || form.fields[key]?.entity === 'leads') continue;
    leadCf.push({ field_code: code, values: [{ value: v.slice(0, 2000) }] });
  }
  if (marker.kind === 'field') {
    leadCf.push({ ...(marker.fieldId ? { field_id: marker.fieldId } : { field_code: MARKER_FIELD_CODE }), values: [{ value: lead.id }] });
  }
  const tags: TagRef[] = form.tags.map((name) => ({ name }));
  if (marker.kind === 'tag') tags.push({ name: markerTag(lead.id) });

  let contact: ContactInput;
  if (b.contactId !== undefined) contact = { id: b.contactId };
  else {
    contact = {};
    if (lead.name) contact.name = lead.name.slice(0, 255);
    const cf: CustomFieldValuesInput[] = [];
    if (lead.phone) cf.push({ field_code: 'PHONE', values: [{ value: lead.phone, enum_code: 'WORK' }] });
    if (lead.email) cf.push({ field_code: 'EMAIL', values: [{ value: lead.email, enum_code: 'WORK' }] });
    cf.push(...contactCf);
    if (cf.length > 0) contact.custom_fields_values = cf.slice(0, MAX_CF_VALUES);
    if (b.responsibleUserId !== undefined) contact.responsible_user_id = b.responsibleUserId;
  }

  const item: ComplexLeadInput = {
    name: dealName(lead, form),
    ...resolvePipeline(form, resolved),
    ...(b.responsibleUserId !== undefined ? { responsible_user_id: b.responsibleUserId } : {}),
    ...(leadCf.length > 0 ? { custom_fields_values: leadCf.slice(0, MAX_CF_VALUES) } : {}),
    request_id: lead.id,
    _embedded: {
      contacts: [contact],
      ...(tags.length > 0 ? { tags } : {}),
    },
  };
  if (form.mode === 'unsorted') {
    const referer = str(lead.attribution.referrer);
    const page = str(lead.attribution.landing_page) ?? referer ?? `leadbridge:${form.key}`;
    item._embedded = {
      ...item._embedded,
      metadata: {
        category: 'forms',
        form_id: form.key,
        form_name: form.title,
        form_page: page,
        form_sent_at: Math.floor(lead.createdAt.getTime() / 1000),
        ...(lead.ip ? { ip: lead.ip } : {}),
        ...(referer ? { referer } : {}),
      },
    };
  }
  return item;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Notes without a config section: Russian, Moscow time (the built-in template). */
export const DEFAULT_NOTES: Config['notes'] = { locale: 'ru', timeZone: 'Europe/Moscow' };

/**
 * The note added to the deal: the form's template (`note_template`), else `notes.template`, else the built-in one for
 * `defaults.locale`, with times in `defaults.time_zone` (note-template.ts). Sent to amoCRM only, never logged.
 */
export function noteText(lead: LeadRow, form: FormConfig, notes: Config['notes'] = DEFAULT_NOTES): string {
  return noteFor(lead, form, notes);
}
