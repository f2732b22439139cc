// amoCRM validation paths (`custom_fields_values.1.field_id`) → the field they mean, by config key and name, so a
// failed lead says "field object (Объект)" instead of an index into a request nobody sees.
import type { ComplexLeadInput, CustomFieldValuesInput } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import type { ResolvedMap } from '../provision/index.js';

export interface FailedField {
  entity: 'leads' | 'contacts';
  /** The config key (`account.fields`), when the field is one of ours. */
  key: string | null;
  /** The field's name in the config (what managers see in amoCRM). */
  name: string | null;
  field_id: number | null;
  field_code: string | null;
  /** amoCRM's error code for it (NotSupportedChoice, FieldNotFound…). */
  code: string;
}

const PATH = /^(?:_embedded\.contacts\.(\d+)\.)?custom_fields_values\.(\d+)(?:\.|$)/;

function lookup(entity: 'leads' | 'contacts', cf: CustomFieldValuesInput, resolved: ResolvedMap | undefined, spec: Config['account']) {
  const id = 'field_id' in cf && typeof cf.field_id === 'number' ? cf.field_id : null;
  const code = 'field_code' in cf && typeof cf.field_code === 'string' ? cf.field_code : null;
  const byKey = resolved?.fields[entity] ?? {};
  let key: string | null = null;
  for (const [k, r] of Object.entries(byKey)) {
    if ((id !== null && r.id === id) || (code !== null && r.code?.toUpperCase() === code.toUpperCase())) key = k;
  }
  const fields = spec?.fields[entity] ?? [];
  const def = fields.find((f) => f.key === key) ?? (code ? fields.find((f) => f.code?.toUpperCase() === code.toUpperCase()) : undefined);
  return { key: key ?? def?.key ?? null, name: def?.name ?? null, field_id: id, field_code: code };
}

/** The custom fields named by amoCRM's error paths of one item (other paths are ignored). */
export function failedFields(
  item: ComplexLeadInput | undefined,
  errors: { code: string; path: string }[],
  resolved: ResolvedMap | undefined,
  spec: Config['account'],
): FailedField[] {
  if (!item) return [];
  const out: FailedField[] = [];
  for (const e of errors) {
    const m = PATH.exec(e.path);
    if (!m) continue;
    const entity = m[1] !== undefined ? 'contacts' : 'leads';
    const cfs = entity === 'contacts' ? item._embedded?.contacts?.[Number(m[1])]?.custom_fields_values : item.custom_fields_values;
    const cf = cfs?.[Number(m[2])];
    if (!cf) continue;
    out.push({ entity, ...lookup(entity, cf, resolved, spec), code: e.code });
  }
  return out;
}

/** `field "object" (Объект, id 500022) on the deal: NotSupportedChoice` — for last_error, events and the log. */
export function describeFailedFields(fields: FailedField[]): string {
  return fields
    .map((f) => {
      const what = f.key ? `field "${f.key}"` : `field ${f.field_id ?? f.field_code ?? '?'}`;
      const detail = [f.name, f.field_id !== null ? `id ${f.field_id}` : f.field_code].filter(Boolean).join(', ');
      return `${what}${detail ? ` (${detail})` : ''} on the ${f.entity === 'leads' ? 'deal' : 'contact'}: ${f.code}`;
    })
    .join('; ');
}
