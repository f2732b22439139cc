import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseAmoDomain } from './index.js';
import { missingConfigPath, problemsOf, yamlFile } from '../../test/config.js';

const missing = missingConfigPath();
const CLIENT_ID = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';

describe('loadConfig', () => {
  it('uses built-in defaults when the file is missing and nothing is set', () => {
    const c = loadConfig({}, { configPath: missing });
    expect(c).toMatchObject({
      port: 8000, dataDir: './data', configFileFound: false, sandbox: true, defaultCountry: 'RU', emulatorPort: 8001,
      publicUrl: 'http://localhost:8000', forms: {}, cors: { origins: ['*'] }, rateLimit: { perIpPerMinute: 30 },
      delivery: { batchSize: 50, maxAttempts: 10, ratePerSecond: 7, rateMargin: 0.2 }, intake: { honeypot: 'website', bodyLimitBytes: 65536 },
    });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('reads LEADBRIDGE_CONFIG and the env vars of both seed guides', () => {
    const path = yamlFile('forms:\n  fitzone:\n    title: FitZone\n');
    const c = loadConfig({
      LEADBRIDGE_CONFIG: path, PORT: '9000', DATABASE_URL: 'postgres://u@h/db', AMOCRM_SUBDOMAIN: 'fitzone',
      AMOCRM_CLIENT_ID: CLIENT_ID, AMOCRM_CLIENT_SECRET: 'fz-secret-value', AMOCRM_REDIRECT_URI: 'http://localhost:3000/api/amocrm/callback',
      AMOCRM_ACCESS_TOKEN: 'tok', NEXT_PUBLIC_BASE_URL: 'http://localhost:3000/', LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      port: 9000, databaseUrl: 'postgres://u@h/db', sandbox: false, publicUrl: 'http://localhost:3000', logLevel: 'debug',
      amocrm: { subdomain: 'fitzone', host: 'fitzone.amocrm.ru', baseUrl: 'https://fitzone.amocrm.ru', clientId: CLIENT_ID, accessToken: 'tok' },
      forms: { fitzone: { key: 'fitzone', title: 'FitZone', mode: 'complex', honeypot: 'website' } },
    });
  });

  it('parses the documented forms config', () => {
    const path = yamlFile(`
defaults: { country: de }
forms:
  asia-deals:
    title: Asia Deals landing
    pipeline: asia_deals
    stage: new_lead
    mode: unsorted
    deal_name: "{{name}} — {{form_title}}"
    tags: [site]
    fields:
      utm_source: { entity: leads, field: utm_source }
      direction:  { entity: leads, field: 123 }
    note: false
    honeypot: company
routing: { users: [1, 2] }
delivery: { batch_size: 20, max_attempts: 5, rate_per_second: 5, rate_margin: 0.1 }
cors: { origins: ['https://asia.example'] }
rate_limit: { per_ip_per_minute: 10 }
account: { pipelines: [{ key: asia_deals, name: Asia, stages: [{ key: new_lead, name: New }] }] }
`);
    const c = loadConfig({}, { configPath: path });
    expect(c.defaultCountry).toBe('DE');
    expect(c.delivery).toMatchObject({ batchSize: 20, maxAttempts: 5, ratePerSecond: 5, rateMargin: 0.1 });
    expect(c.forms['asia-deals']).toEqual({
      key: 'asia-deals', title: 'Asia Deals landing', pipeline: 'asia_deals', stage: 'new_lead', mode: 'unsorted',
      dealName: '{{name}} — {{form_title}}', tags: ['site'], note: false, honeypot: 'company', extraFields: [],
      fields: { utm_source: { entity: 'leads', field: 'utm_source' }, direction: { entity: 'leads', field: 123 } },
    });
    expect(c).toMatchObject({ routing: { rules: [{ name: 'default', strategy: 'round_robin', pool: ['user:1', 'user:2'] }] }, delivery: { batchSize: 20 }, cors: { origins: ['https://asia.example'] } });
    expect(c.account).toBeDefined();
  });

  it.each([
    ['mycompany', 'mycompany', 'mycompany.amocrm.ru'],
    ['mycompany.amocrm.ru', 'mycompany', 'mycompany.amocrm.ru'],
    ['https://mycompany.kommo.com/', 'mycompany', 'mycompany.kommo.com'],
    ['MyCompany.amocrm.com', 'mycompany', 'mycompany.amocrm.com'],
  ])('parses the amoCRM domain %s', (value, subdomain, host) => {
    expect(parseAmoDomain(value)).toEqual({ subdomain, host });
  });

  it('lists EVERY env and file problem at once', () => {
    const path = yamlFile('forms:\n  Bad Key:\n    mode: fast\ncors: { origins: 5 }\nunknown_section: 1\n');
    const problems = problemsOf(() =>
      loadConfig(
        {
          PORT: 'eighty', DATABASE_URL: 'mysql://x', AMOCRM_DOMAIN: 'not a domain!', LOG_LEVEL: 'loud',
          AMOCRM_CLIENT_ID: 'id', LEADBRIDGE_ADMIN_TOKEN: 'short', LEADBRIDGE_DEFAULT_COUNTRY: 'XX',
        },
        { configPath: path },
      ),
    );
    const text = problems.join('\n');
    for (const needle of ['PORT', 'DATABASE_URL', 'AMOCRM_DOMAIN', 'LOG_LEVEL', 'AMOCRM_CLIENT_SECRET', 'LEADBRIDGE_ADMIN_TOKEN', 'LEADBRIDGE_DEFAULT_COUNTRY', 'forms', 'cors.origins', 'unknown_section']) {
      expect(text).toContain(needle);
    }
    expect(problems.length).toBeGreaterThanOrEqual(10);
  });

  it('reports YAML syntax errors', () => {
    const problems = problemsOf(() => loadConfig({}, { configPath: yamlFile('forms: [unclosed\n') }));
    expect(problems[0]).toContain('YAML syntax');
  });

  it('requires a domain when a token is set, and reports conflicting domains', () => {
    const problems = problemsOf(() => loadConfig({ AMOCRM_LONG_LIVED_TOKEN: 't' }, { configPath: missing }));
    expect(problems.join()).toContain('AMOCRM_DOMAIN');
    const conflict = problemsOf(() =>
      loadConfig({ AMOCRM_DOMAIN: 'a.amocrm.ru', AMOCRM_SUBDOMAIN: 'b' }, { configPath: missing }),
    );
    expect(conflict.join()).toContain('different accounts');
  });

  it('rejects the guides\' placeholders and a client id that is not a UUID, naming each variable', () => {
    // Asia Deals guide, step 6, copied as written.
    const problems = problemsOf(() =>
      loadConfig(
        {
          AMOCRM_CLIENT_ID: 'your_client_id_here', AMOCRM_CLIENT_SECRET: 'your_client_secret_here',
          AMOCRM_REDIRECT_URI: 'http://localhost:8000/api/auth/amo/callback', AMOCRM_DOMAIN: 'your-company.amocrm.ru',
          AMOCRM_REFRESH_TOKEN: 'your_refresh_token_here',
        },
        { configPath: missing },
      ),
    );
    for (const v of ['AMOCRM_CLIENT_ID', 'AMOCRM_CLIENT_SECRET', 'AMOCRM_DOMAIN', 'AMOCRM_REFRESH_TOKEN']) {
      expect(problems.find((p) => p.startsWith(`${v}:`))).toContain('placeholder');
    }
    // Secrets are never echoed, even placeholders.
    expect(problems.join('\n')).not.toContain('your_client_secret_here');
    // FitZone's .env.local as written.
    const fz = problemsOf(() =>
      loadConfig(
        { AMOCRM_SUBDOMAIN: 'your-subdomain', AMOCRM_CLIENT_ID: 'your-client-id', AMOCRM_CLIENT_SECRET: 'your-client-secret', AMOCRM_ACCESS_TOKEN: 'your-access-token' },
        { configPath: missing },
      ),
    );
    for (const v of ['AMOCRM_SUBDOMAIN', 'AMOCRM_CLIENT_ID', 'AMOCRM_CLIENT_SECRET', 'AMOCRM_ACCESS_TOKEN']) expect(fz.join('\n')).toContain(`${v}:`);
    const notUuid = problemsOf(() => loadConfig({ AMOCRM_CLIENT_ID: '12345', AMOCRM_CLIENT_SECRET: 'real-looking-secret' }, { configPath: missing }));
    expect(notUuid).toEqual([expect.stringMatching(/^AMOCRM_CLIENT_ID: must be the integration ID, a UUID/)]);
  });

  it('warns when the redirect URI is on another host than the public URL', () => {
    const base = { AMOCRM_CLIENT_ID: CLIENT_ID, AMOCRM_CLIENT_SECRET: 'real-looking-secret' };
    const same = loadConfig({ ...base, LEADBRIDGE_PUBLIC_URL: 'https://leads.example.ru', AMOCRM_REDIRECT_URI: 'https://leads.example.ru/api/auth/amo/callback' }, { configPath: missing });
    expect(same.warnings).toEqual([]);
    const other = loadConfig({ ...base, LEADBRIDGE_PUBLIC_URL: 'https://leads.example.ru', AMOCRM_REDIRECT_URI: 'http://localhost:8000/api/auth/amo/callback' }, { configPath: missing });
    expect(other.warnings).toEqual([expect.stringContaining('AMOCRM_REDIRECT_URI (localhost:8000) is on another host than LEADBRIDGE_PUBLIC_URL (leads.example.ru)')]);
  });

  it('names the form that takes leads naming none', () => {
    expect(loadConfig({}, { configPath: yamlFile('forms:\n  asia-deals: {}\n') }).defaultForm).toBe('asia-deals');
    expect(loadConfig({}, { configPath: yamlFile('forms:\n  a: {}\n  b: {}\n') }).defaultForm).toBe('default');
    expect(loadConfig({}, { configPath: yamlFile('default_form: b\nforms:\n  a: {}\n  b: {}\n') }).defaultForm).toBe('b');
    expect(problemsOf(() => loadConfig({}, { configPath: yamlFile('default_form: c\nforms:\n  a: {}\n') }))).toEqual([
      expect.stringContaining('default_form: "c" is not one of the forms (a)'),
    ]);
  });

  it('analytics.commission_field names the deal field the dashboard sums as commission (Asia Deals: «Комиссия»)', () => {
    expect(loadConfig({}, { configPath: missing }).analytics).toEqual({ commissionField: 'commission' });
    const asia = loadConfig({}, { configPath: new URL('../../presets/asia-deals.yaml', import.meta.url).pathname });
    expect(asia.analytics.commissionField).toBe('commission');
    expect(asia.account?.fields.leads.find((f) => f.key === asia.analytics.commissionField)?.name).toBe('Комиссия');
    expect(asia.warnings.some((w) => w.includes('commission_field'))).toBe(false);
    const typo = loadConfig({}, {
      configPath: yamlFile('analytics: { commission_field: comission }\naccount:\n  fields:\n    leads:\n      - { key: commission, name: Комиссия, type: numeric }\n'),
    });
    expect(typo.analytics.commissionField).toBe('comission');
    expect(typo.warnings).toContainEqual(expect.stringContaining('analytics.commission_field "comission" is not a deal field'));
    expect(problemsOf(() => loadConfig({}, { configPath: yamlFile('analytics: { commission_field: "Комиссия" }\n') }))).toEqual([
      expect.stringContaining('analytics.commission_field'),
    ]);
  });

  it.each(['presets/asia-deals.yaml', 'presets/fitzone.yaml', 'leadbridge.yaml'])('%s loads, and its default form exists', (file) => {
    const c = loadConfig({}, { configPath: new URL(`../../${file}`, import.meta.url).pathname });
    expect(Object.keys(c.forms)).toContain(c.defaultForm);
  });
});
