import { describe, expect, it } from 'vitest';
import type { ComplexLeadInput } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import type { ResolvedMap } from '../provision/index.js';
import { describeFailedFields, failedFields } from './field-errors.js';

const resolved: ResolvedMap = {
  pipelines: {},
  fields: {
    leads: { object: { id: 500022, code: 'OBJECT', type: 'select', enums: {} }, utm_source: { id: 500007, code: 'UTM_SOURCE', type: 'tracking_data', enums: {} } },
    contacts: { utm_source: { id: 600001, code: 'UTM_SOURCE', type: 'text', enums: {} } },
  },
} as unknown as ResolvedMap;
const spec = {
  pipelines: [],
  fields: { leads: [{ key: 'object', name: 'Объект', code: 'OBJECT' }], contacts: [{ key: 'utm_source', name: 'UTM Source', code: 'UTM_SOURCE' }] },
} as unknown as Config['account'];
const item = {
  name: 'x',
  custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'g' }] }, { field_id: 500022, values: [{ enum_id: 1 }] }],
  _embedded: { contacts: [{ custom_fields_values: [{ field_code: 'PHONE', values: [] }, { field_id: 600001, values: [] }] }] },
} as unknown as ComplexLeadInput;

describe('failed fields', () => {
  it('names the field of amoCRM\'s error path by config key and name', () => {
    const f = failedFields(item, [{ code: 'NotSupportedChoice', path: 'custom_fields_values.1.field_id' }, { code: 'FieldMissing', path: '_embedded.contacts.0.custom_fields_values.1' }, { code: 'X', path: 'name' }], resolved, spec);
    expect(f).toEqual([
      { entity: 'leads', key: 'object', name: 'Объект', field_id: 500022, field_code: null, code: 'NotSupportedChoice' },
      { entity: 'contacts', key: 'utm_source', name: 'UTM Source', field_id: 600001, field_code: null, code: 'FieldMissing' },
    ]);
    expect(describeFailedFields(f)).toBe('field "object" (Объект, id 500022) on the deal: NotSupportedChoice; field "utm_source" (UTM Source, id 600001) on the contact: FieldMissing');
  });

  it('falls back to the id or code when the field is not in the config', () => {
    const f = failedFields({ name: 'x', custom_fields_values: [{ field_id: 42, values: [] }] } as unknown as ComplexLeadInput, [{ code: 'NotFound', path: 'custom_fields_values.0.field_id' }], undefined, undefined);
    expect(describeFailedFields(f)).toBe('field 42 (id 42) on the deal: NotFound');
  });
});
