import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FileConfigSchema } from '../config/file-schema.js';
import { ProvisionSpecSchema } from './spec.js';

const preset = (name: string): Record<string, unknown> =>
  parse(readFileSync(new URL(`../../presets/${name}.yaml`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** "path: message" for every issue, paths joined with dots. */
function issues(input: unknown): string[] {
  const r = ProvisionSpecSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const stage = (key: string, name: string, color?: string) => ({ key, name, ...(color ? { color } : {}) });

describe('ProvisionSpecSchema', () => {
  it('accepts both presets, and both are valid leadbridge.yaml files', () => {
    for (const name of ['asia-deals', 'fitzone']) {
      const file = preset(name);
      expect(issues(file.account)).toEqual([]);
      const parsed = FileConfigSchema.safeParse(file);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    }
    const asia = ProvisionSpecSchema.parse(preset('asia-deals').account);
    expect(asia.pipelines[0]?.stages.map((s) => s.name)).toEqual([
      'Новый лид', 'Первичный контакт', 'Презентация', 'Выбор объекта', 'Резервирование', 'Сделка', 'Завершено',
    ]);
    expect(asia.fields.contacts.map((f) => f.key)).toEqual(['phone', 'email', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term']);
    const fit = ProvisionSpecSchema.parse(preset('fitzone').account);
    expect(fit.fields.leads.map((f) => f.key)).toEqual(['lead_phone', 'training_direction', 'source']);
  });

  it('fills defaults for an empty section', () => {
    expect(ProvisionSpecSchema.parse({})).toEqual({ pipelines: [], fields: { leads: [], contacts: [], companies: [] } });
  });

  it('rejects a colour outside the amoCRM palette, with its path', () => {
    const out = issues({ pipelines: [{ key: 'p', name: 'P', stages: [stage('a', 'A', '#98CBFF'), stage('b', 'B', '#123456')] }] });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^pipelines\.0\.stages\.1\.color: colour is not in amoCRM's palette/);
  });

  it('reports duplicate keys and names with their paths', () => {
    const out = issues({
      pipelines: [
        { key: 'p', name: 'Sales', stages: [stage('a', 'A'), stage('a', 'a')] },
        { key: 'p', name: 'sales', stages: [stage('x', 'X')] },
      ],
      fields: { leads: [
        { key: 'f', name: 'F', type: 'text', code: 'F' },
        { key: 'f', name: 'G', type: 'text', code: 'f' },
      ] },
    });
    expect(out).toEqual(expect.arrayContaining([
      'pipelines.0.stages.1.key: duplicate stage key "a"',
      'pipelines.0.stages.1.name: duplicate stage name "a"',
      'pipelines.1.key: duplicate pipeline key "p"',
      'pipelines.1.name: duplicate pipeline name "sales"',
      'fields.leads.1.key: duplicate field key "f" in leads',
      'fields.leads.1.code: duplicate field code "f" in leads',
    ]));
  });

  it('allows the same key in two entities', () => {
    const utm = { key: 'utm_source', name: 'UTM Source', type: 'text', code: 'UTM_SOURCE' };
    expect(issues({ fields: { leads: [utm], contacts: [utm] } })).toEqual([]);
  });

  it('restricts types to the entities amoCRM allows', () => {
    expect(issues({ fields: {
      contacts: [{ key: 'u', name: 'U', type: 'tracking_data', code: 'U' }],
      leads: [{ key: 'p', name: 'P', type: 'multitext', code: 'P' }, { key: 'x', name: 'X', type: 'price' }],
    } })).toEqual([
      'fields.leads.0.type: amoCRM allows multitext fields only on contacts and companies, not on leads',
      expect.stringMatching(/^fields\.leads\.1\.type: Invalid option/),
      'fields.contacts.0.type: amoCRM allows tracking_data fields only on leads, not on contacts',
    ]);
  });

  it('requires what it takes to find and create a field', () => {
    expect(issues({ fields: { leads: [
      { key: 'a', type: 'text' },
      { key: 'b', type: 'text', code: 'B' },
      { key: 'c', type: 'select', name: 'C' },
      { key: 'd', type: 'text', name: 'D', enums: ['x'] },
      { key: 'e', type: 'select', name: 'E', enums: ['x', 'x'] },
      { key: 'f', type: 'text', id: 264911 },
      { key: 'g', type: 'multitext', code: 'PHONE', predefined: true },
      { key: 'Bad-Key', type: 'text', name: 'H' },
    ] } })).toEqual([
      'fields.leads.0.key: give the field an id, a code or a name',
      'fields.leads.0.name: a name is needed to create the field',
      'fields.leads.1.name: a name is needed to create the field',
      'fields.leads.2.enums: a select field needs its options (enums)',
      'fields.leads.3.enums: type text has no options; enums need select, multiselect or radiobutton',
      'fields.leads.4.enums.1: duplicate option "x"',
      'fields.leads.6.type: amoCRM allows multitext fields only on contacts and companies, not on leads',
      'fields.leads.7.key: a key is lower-case letters, digits and _, starting with a letter',
    ]);
  });

  it('rejects unknown keys', () => {
    expect(issues({ pipelines: [], fieldz: {} })[0]).toMatch(/Unrecognized key/);
  });
});
