// Every emulator response has exactly the keys of the matching fixture in src/amocrm/fixtures (recursively).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../amocrm/fixtures/${name}`, import.meta.url), 'utf8'));

/** Lists key-set differences; null, empty arrays and scalars on either side match anything. */
function shapeDiff(a: unknown, b: unknown, path = '$'): string[] {
  if (a === null || b === null || a === undefined || b === undefined) return [];
  if (Array.isArray(a) && Array.isArray(b)) return a.length && b.length ? shapeDiff(a[0], b[0], `${path}[0]`) : [];
  if (typeof a !== 'object' || typeof b !== 'object') return [];
  if (Array.isArray(a) !== Array.isArray(b)) return Array.isArray(a) && a.length === 0 ? [] : Array.isArray(b) && b.length === 0 ? [] : [`${path}: array vs object`];
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  const out: string[] = [];
  for (const k of ka) if (!kb.includes(k)) out.push(`${path}.${k} only in emulator`);
  for (const k of kb) if (!ka.includes(k)) out.push(`${path}.${k} only in fixture`);
  for (const k of ka.filter((x) => kb.includes(x))) out.push(...shapeDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  return out;
}

let emu: TestEmu;
let leadId = 0;
let contactId = 0;
let companyId = 0;
beforeAll(async () => {
  emu = await startTestEmulator();
  const complex = await emu.api('POST', '/api/v4/leads/complex', [
    {
      name: 'Shape',
      custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'google' }] }],
      _embedded: {
        tags: [{ name: 'site' }],
        contacts: [
          {
            first_name: 'Ivan',
            last_name: 'Petrov',
            custom_fields_values: [
              { field_code: 'PHONE', values: [{ value: '+79123456789', enum_code: 'WORK' }] },
              { field_code: 'EMAIL', values: [{ value: 'a@example.com', enum_code: 'WORK' }] },
            ],
          },
        ],
        companies: [{ name: 'ACME' }],
      },
    },
  ]);
  leadId = complex.json[0].id;
  contactId = complex.json[0].contact_id;
  companyId = complex.json[0].company_id;
  await emu.api('POST', '/api/v4/leads', [{ name: 'p2' }, { name: 'p3' }]);
  await emu.api('PATCH', `/api/v4/leads/${leadId}`, { status_id: 142 });
});
afterAll(async () => {
  await emu.close();
});

const cases: [string, () => Promise<unknown>][] = [
  ['lead.json', async () => (await emu.api('GET', `/api/v4/leads/${leadId}?with=contacts,source_id`)).json],
  ['leads-page.json', async () => (await emu.api('GET', '/api/v4/leads?limit=1&page=2&with=contacts,source_id')).json],
  ['contact.json', async () => (await emu.api('GET', `/api/v4/contacts/${contactId}`)).json],
  ['company.json', async () => (await emu.api('GET', `/api/v4/companies/${companyId}`)).json],
  ['pipelines.json', async () => (await emu.api('GET', '/api/v4/leads/pipelines')).json],
  ['custom-field.json', async () => {
    const list = (await emu.api('GET', '/api/v4/contacts/custom_fields')).json._embedded.custom_fields as { code: string | null }[];
    return list.find((f) => f.code === 'PHONE');
  }],
  ['user.json', async () => (await emu.api('GET', '/api/v4/users/8000001')).json],
  ['account.json', async () => (await emu.api('GET', '/api/v4/account')).json],
  ['complex-response.json', async () => (await emu.api('POST', '/api/v4/leads/complex', [{ name: 'x', _embedded: { contacts: [{ name: 'c' }] } }])).json],
  ['lead-create-response.json', async () => (await emu.api('POST', '/api/v4/leads', [{ name: 'y' }])).json],
  ['validation-error.json', async () => (await emu.api('POST', '/api/v4/leads', [{ status_id: 'x' }])).json],
  ['empty-request-400.json', async () => (await emu.api('POST', '/api/v4/leads', [])).json],
  ['limit-422.json', async () => (await emu.api('POST', '/api/v4/leads', Array.from({ length: 251 }, () => ({})))).json],
  ['unauthorized-401.json', async () => (await emu.api('GET', '/api/v4/account', undefined, 'bad')).json],
  ['oauth-401.json', async () => {
    const { clientId, clientSecret, redirectUri } = emu.config;
    const res = await fetch(`${emu.url}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, grant_type: 'refresh_token', refresh_token: 'def50200nope' }),
    });
    return res.json();
  }],
  ['token-response.json', async () => emu.control.issueTokens()],
  ['account-subdomain.json', async () => {
    const t = await emu.control.issueTokens();
    return (await fetch(`${emu.url}/oauth2/account/current/subdomain`, { headers: { 'x-refresh-token': t.refresh_token } })).json();
  }],
  ['events-page.json', async () => (await emu.api('GET', '/api/v4/events?filter[type][]=lead_status_changed')).json],
  ['webhooks-list.json', async () => {
    await emu.api('POST', '/api/v4/webhooks', { destination: 'https://example.test/h', settings: ['add_task'] });
    return (await emu.api('GET', '/api/v4/webhooks')).json;
  }],
  ['unsorted-create.json', async () =>
    (await emu.api('POST', '/api/v4/leads/unsorted/forms', [
      { source_name: 's', source_uid: 'u', _embedded: { leads: [{ name: 'l' }], contacts: [{ name: 'c' }] }, metadata: { form_id: 'f', form_name: 'F', form_page: 'https://x', form_sent_at: 1 } },
    ])).json],
  ['task.json', async () => {
    const id = (await emu.api('POST', '/api/v4/tasks', [{ text: 't', complete_till: 1900000000, entity_id: leadId, entity_type: 'leads' }])).json._embedded.tasks[0].id;
    return (await emu.api('GET', `/api/v4/tasks/${id}`)).json;
  }],
  ['note-create-response.json', async () => (await emu.api('POST', '/api/v4/leads/notes', [{ entity_id: leadId, note_type: 'common', params: { text: 'n' } }])).json],
  ['payment-required-402.json', async () => {
    emu.control.setPaymentRequired(true);
    const body = (await emu.api('POST', '/api/v4/leads', [{}])).json;
    emu.control.setPaymentRequired(false);
    return body;
  }],
];

describe('response shapes match the fixtures', () => {
  it.each(cases)('%s', async (name, get) => {
    const actual = await get();
    expect(actual).toBeTruthy();
    expect(shapeDiff(actual, fixture(name))).toEqual([]);
  });

  it('429 JSON matches rate-limit-429.json', async () => {
    const limited = await startTestEmulator({ rateLimit: { perIntegration: 1 } });
    const res = await Promise.all([1, 2, 3].map(() => limited.api('GET', '/api/v4/account')));
    const body = res.find((r) => r.status === 429)?.json;
    await limited.close();
    expect(shapeDiff(body, fixture('rate-limit-429.json'))).toEqual([]);
    expect(body).toEqual(fixture('rate-limit-429.json'));
  });
});
