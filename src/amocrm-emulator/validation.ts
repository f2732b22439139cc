// Batch and custom-field validation (fact sheet §3, §5.2, §7.6): whole batch checked before any write.
import type { CustomField, CustomFieldValues, EntityType, ValidationErrorEntry, ValidationErrorItem } from '../amocrm/types.js';
import { emptyRequest, fail, tooMany, validationFailed } from './problems.js';
import { fieldsOf, type EmulatorStore } from './state.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export const err = (code: string, path: string, detail?: string): ValidationErrorItem => ({
  code,
  path,
  detail:
    detail ??
    ({
      NotSupportedChoice: 'The value you selected is not a valid choice.',
      InvalidType: 'This value should be of type int.',
      FieldNotExpected: 'This field was not expected.',
      NotBlank: 'This value should not be blank.',
      NotFound: 'Entity not found.',
    } as Record<string, string>)[code] ??
    'Invalid value.',
});

/** Checks a batch body: an array, non-empty, ≤ limit items. Returns items with their request ids. */
export function batchItems(body: unknown, limit = 250): { item: Obj; requestId: string }[] {
  if (body === undefined || body === null || body === '') throw emptyRequest();
  if (!Array.isArray(body)) throw fail(400, 'Request data must be an array');
  if (body.length === 0) throw emptyRequest();
  if (body.length > limit) throw tooMany(limit);
  return body.map((item, i) => {
    if (!isObj(item)) throw validationFailed([{ request_id: String(i), errors: [err('InvalidType', '', 'This value should be of type object.')] }]);
    const rid = item.request_id;
    return { item, requestId: typeof rid === 'string' || typeof rid === 'number' ? String(rid) : String(i) };
  });
}

export function throwIfErrors(entries: ValidationErrorEntry[]): void {
  const bad = entries.filter((e) => e.errors.length > 0);
  if (bad.length > 0) throw validationFailed(bad);
}

/** Common scalar checks shared by leads/contacts/companies. */
/** A field's wire type; `int?` is a nullable int (a client may send back the `null` it read, e.g. `loss_reason_id`). */
export type FieldType = 'int' | 'int?' | 'string' | 'bool';

export function checkTypes(item: Obj, spec: Record<string, FieldType>, prefix: string, errors: ValidationErrorItem[]): void {
  for (const [k, type] of Object.entries(spec)) {
    const v = item[k];
    if (v === undefined || (v === null && type === 'int?')) continue;
    const t = type === 'int?' ? 'int' : type;
    if (t === 'int' && !isInt(v)) errors.push(err('InvalidType', prefix + k, 'This value should be of type int.'));
    if (t === 'string' && typeof v !== 'string') errors.push(err('InvalidType', prefix + k, 'This value should be of type string.'));
    if (t === 'bool' && typeof v !== 'boolean') errors.push(err('InvalidType', prefix + k, 'This value should be of type bool.'));
  }
}

function toTs(v: unknown): number | undefined {
  if (isInt(v)) return v;
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  return undefined;
}

/**
 * Validates `custom_fields_values` of one item and returns the per-field replacement set
 * (field id → read values, or null to clear). Errors are pushed with dotted paths under `prefix`.
 */
export function parseCfv(
  store: EmulatorStore,
  entity: EntityType,
  input: unknown,
  prefix: string,
  errors: ValidationErrorItem[],
): Map<number, CustomFieldValues | null> {
  const out = new Map<number, CustomFieldValues | null>();
  if (input === undefined || input === null) return out;
  const base = `${prefix}custom_fields_values`;
  if (!Array.isArray(input)) {
    errors.push(err('InvalidType', base, 'This value should be of type array.'));
    return out;
  }
  if (input.length > 40) errors.push(err('Length', base, 'This collection should contain 40 elements or less.'));
  const fields = fieldsOf(store, entity);
  input.forEach((raw, i) => {
    const p = `${base}.${i}`;
    if (!isObj(raw)) return void errors.push(err('InvalidType', p, 'This value should be of type object.'));
    let field: CustomField | undefined;
    if (raw.field_id !== undefined) {
      if (!isInt(raw.field_id)) return void errors.push(err('InvalidType', `${p}.field_id`));
      field = store.fields.get(raw.field_id);
      if (!field || field.entity_type !== entity) return void errors.push(err('NotSupportedChoice', `${p}.field_id`));
    } else if (raw.field_code !== undefined) {
      field = fields.find((f) => f.code !== null && f.code === raw.field_code);
      if (!field) return void errors.push(err('NotSupportedChoice', `${p}.field_code`));
    } else {
      return void errors.push(err('NotBlank', `${p}.field_id`));
    }
    if (raw.values === null) return void out.set(field.id, null);
    if (!Array.isArray(raw.values)) return void errors.push(err('InvalidType', `${p}.values`, 'This value should be of type array.'));
    const values: CustomFieldValues['values'] = [];
    raw.values.forEach((v, j) => {
      const vp = `${p}.values.${j}`;
      if (!isObj(v)) return void errors.push(err('InvalidType', vp, 'This value should be of type object.'));
      const parsed = parseValue(field, v, vp, errors);
      if (parsed) values.push(parsed);
    });
    out.set(field.id, values.length ? { field_id: field.id, field_name: field.name, field_code: field.code, field_type: field.type, values } : null);
  });
  return out;
}

function parseValue(field: CustomField, v: Obj, vp: string, errors: ValidationErrorItem[]): CustomFieldValues['values'][number] | undefined {
  const enums = field.enums ?? [];
  let en: (typeof enums)[number] | undefined;
  if (v.enum_code !== undefined) {
    if (enums.length === 0 || !enums.some((e) => e.code)) return void errors.push(err('FieldNotExpected', `${vp}.enum_code`));
    en = enums.find((e) => e.code === v.enum_code);
    if (!en) return void errors.push(err('NotSupportedChoice', `${vp}.enum_code`));
  } else if (v.enum_id !== undefined) {
    if (enums.length === 0) return void errors.push(err('FieldNotExpected', `${vp}.enum_id`));
    en = enums.find((e) => e.id === v.enum_id);
    if (!en) return void errors.push(err('NotSupportedChoice', `${vp}.enum_id`));
  }
  const value = v.value;
  switch (field.type) {
    case 'multitext': {
      if (typeof value !== 'string' && typeof value !== 'number') return void errors.push(err(value === undefined ? 'NotBlank' : 'InvalidType', `${vp}.value`, value === undefined ? undefined : 'This value should be of type string.'));
      if (String(value).trim() === '') return void errors.push(err('NotBlank', `${vp}.value`));
      const e = en ?? enums.find((x) => x.code === 'WORK') ?? enums[0];
      return { value: String(value), ...(e ? { enum_id: e.id, enum_code: e.code ?? e.value } : {}) };
    }
    case 'select':
    case 'radiobutton':
    case 'multiselect': {
      const e = en ?? enums.find((x) => x.value === value);
      if (!e) return void errors.push(err('NotSupportedChoice', `${vp}.${value === undefined ? 'enum_id' : 'value'}`));
      return { value: e.value, enum_id: e.id, ...(e.code ? { enum_code: e.code } : {}) };
    }
    case 'checkbox':
      if (typeof value !== 'boolean') return void errors.push(err('InvalidType', `${vp}.value`, 'This value should be of type bool.'));
      return { value };
    case 'date':
    case 'date_time':
    case 'birthday': {
      const ts = toTs(value);
      if (ts === undefined) return void errors.push(err('InvalidType', `${vp}.value`, 'This value should be of type int.'));
      return { value: ts };
    }
    case 'numeric':
    case 'monetary':
      if ((typeof value !== 'string' && typeof value !== 'number') || Number.isNaN(Number(value))) return void errors.push(err('InvalidType', `${vp}.value`, 'This value should be of type numeric.'));
      return { value: String(value) };
    case 'legal_entity':
      if (!isObj(value)) return void errors.push(err('InvalidType', `${vp}.value`, 'This value should be of type object.'));
      return { value };
    default: {
      if (value === undefined || value === null || value === '') return void errors.push(err('NotBlank', `${vp}.value`));
      if (typeof value !== 'string' && typeof value !== 'number') return void errors.push(err('InvalidType', `${vp}.value`, 'This value should be of type string.'));
      return en ? { value: String(value), enum_id: en.id, ...(en.code ? { enum_code: en.code } : {}) } : { value: String(value) };
    }
  }
}

/** Applies a replacement set to stored values: each listed field is replaced as a whole. */
export function applyCfv(current: CustomFieldValues[], patch: Map<number, CustomFieldValues | null>): CustomFieldValues[] {
  const out = current.filter((c) => !patch.has(c.field_id));
  for (const v of patch.values()) if (v) out.push(v);
  return out;
}

/** Validates `tags_to_add`/`tags_to_delete`/`_embedded.tags` refs. */
export function checkTagRefs(v: unknown, path: string, errors: ValidationErrorItem[]): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) return void errors.push(err('InvalidType', path, 'This value should be of type array.'));
  v.forEach((t, i) => {
    if (!isObj(t) || (!isInt(t.id) && (typeof t.name !== 'string' || t.name === ''))) errors.push(err('NotBlank', `${path}.${i}.name`));
  });
}
