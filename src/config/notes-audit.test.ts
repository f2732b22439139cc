// Config of the notes for managers (language, the account's time zone, templates) and of the amoCRM audit line.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { missingConfigPath, problemsOf, yamlFile } from '../../test/config.js';

const missing = missingConfigPath();

describe('notes config', () => {
  it('defaults to Russian in Moscow time with the built-in template', () => {
    expect(loadConfig({}, { configPath: missing }).notes).toEqual({ locale: 'ru', timeZone: 'Europe/Moscow' });
  });

  it('reads defaults.locale, defaults.time_zone, notes.template and a form note_template', () => {
    const c = loadConfig({}, {
      configPath: yamlFile('defaults: { locale: en, time_zone: Asia/Bangkok }\nnotes: { template: "Lead {{name}}" }\nforms:\n  site: { note_template: "Site {{phone}}" }\n'),
    });
    expect(c.notes).toEqual({ locale: 'en', timeZone: 'Asia/Bangkok', template: 'Lead {{name}}' });
    expect(c.forms.site?.noteTemplate).toBe('Site {{phone}}');
  });

  it('refuses an unknown time zone and a template Mustache cannot parse', () => {
    const problems = problemsOf(() => loadConfig({}, { configPath: yamlFile('defaults: { time_zone: Mars/Base }\nnotes: { template: "{{#name}} open" }\n') }));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining('defaults.time_zone: not an IANA time zone'), expect.stringContaining('notes.template: not a valid Mustache template')]),
    );
  });
});

describe('audit config', () => {
  it('is on by default; the file or LEADBRIDGE_AUDIT_AMOCRM_CALLS turns it off (the variable wins)', () => {
    expect(loadConfig({}, { configPath: missing }).audit).toEqual({ amocrmCalls: true });
    const off = yamlFile('audit: { amocrm_calls: false }\n');
    expect(loadConfig({}, { configPath: off }).audit).toEqual({ amocrmCalls: false });
    expect(loadConfig({ LEADBRIDGE_AUDIT_AMOCRM_CALLS: 'on' }, { configPath: off }).audit).toEqual({ amocrmCalls: true });
    expect(loadConfig({ LEADBRIDGE_AUDIT_AMOCRM_CALLS: 'off' }, { configPath: missing }).audit).toEqual({ amocrmCalls: false });
    expect(problemsOf(() => loadConfig({ LEADBRIDGE_AUDIT_AMOCRM_CALLS: 'maybe' }, { configPath: missing }))).toEqual([
      'LEADBRIDGE_AUDIT_AMOCRM_CALLS: must be on or off (got "maybe")',
    ]);
  });
});
