// Black-box compatibility: the public client amocrm-js (written against the real amoCRM) driven through its
// documented calls against our emulator. Only the transport is redirected — the global https agent opens plain TCP
// to the emulator — and none of its files are touched. Calls the library has no method for use its documented
// `client.request.*`. See ../shared/docs/amocrm-emulator-fidelity.md §1.2 (and its library defects L1, L2).
import { Client } from 'amocrm-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI } from '../../src/amocrm-emulator/index.js';
import { startTestEmulator, type TestEmu } from '../emulator.js';
import { authorizationCode, redirectHttps, tally } from './helpers.js';

type Page<T> = { getData(): T[]; hasNext(): boolean; hasPrev(): boolean; next(): Promise<false | T[]>; prev(): Promise<false | T[]> };
type Entity = { id?: number; save(): Promise<unknown>; [k: string]: unknown };

let emu: TestEmu;
let client: Client;
let restoreHttps: () => void;
const calls = tally('amocrm-js');
const ids: { pipeline?: number; status?: number; contact?: number; lead?: number; bare?: number[] } = {};

beforeAll(async () => {
  emu = await startTestEmulator({ autoApprove: true });
  restoreHttps = redirectHttps(Number(new URL(emu.url).port));
  const { code, referer } = await authorizationCode(emu.url);
  client = new Client({ domain: referer, auth: { client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET, redirect_uri: DEFAULT_REDIRECT_URI, code } });
});
afterAll(async () => {
  restoreHttps();
  calls.print();
  await emu.close();
});

describe('amocrm-js against the emulator', () => {
  it(...calls.it('OAuth code exchange through connection.connect()', async () => {
    expect(await client.connection.connect()).toBe(true);
    const token = client.token.getValue() as { token_type: string; expires_in: number; refresh_token: string };
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
  }));

  it(...calls.it('token.refresh() rotates the pair', async () => {
    const before = (client.token.getValue() as { refresh_token: string }).refresh_token;
    await client.token.refresh();
    expect((client.token.getValue() as { refresh_token: string }).refresh_token).not.toBe(before);
  }));

  it(...calls.it('GET /api/v4/account through client.request.get', async () => {
    const { data, response } = await client.request.get<{ id: number; subdomain: string }>('/api/v4/account');
    expect(response.statusCode).toBe(200);
    expect(data.id).toBeGreaterThan(0);
  }));

  it(...calls.it('pipelines with unsorted, won and lost stages', async () => {
    const { data } = await client.request.get<{ _embedded: { pipelines: { id: number; is_main: boolean; _embedded: { statuses: { id: number; type: number }[] } }[] } }>(
      '/api/v4/leads/pipelines',
    );
    const main = data._embedded.pipelines.find((p) => p.is_main)!;
    const statuses = main._embedded.statuses;
    expect(statuses.some((s) => s.type === 1)).toBe(true);
    expect(statuses.map((s) => s.id)).toEqual(expect.arrayContaining([142, 143]));
    ids.pipeline = main.id;
    ids.status = statuses.find((s) => s.type === 0 && s.id !== 142 && s.id !== 143)!.id;
  }));

  it(...calls.it('custom fields of leads and contacts', async () => {
    const leads = await client.request.get<{ _embedded: { custom_fields: unknown[] } }>('/api/v4/leads/custom_fields');
    const contacts = await client.request.get<{ _embedded: { custom_fields: { code: string | null }[] } }>('/api/v4/contacts/custom_fields');
    expect(Array.isArray(leads.data._embedded.custom_fields)).toBe(true);
    expect(contacts.data._embedded.custom_fields.map((f) => f.code)).toEqual(expect.arrayContaining(['PHONE', 'EMAIL']));
  }));

  it(...calls.it('new Contact + save() with phone and email, read back with getById', async () => {
    const contact = new client.Contact({
      name: 'Совместимость JS',
      custom_fields_values: [
        { field_code: 'PHONE', values: [{ value: '+79001230002', enum_code: 'MOB' }] },
        { field_code: 'EMAIL', values: [{ value: 'js@example.com', enum_code: 'WORK' }] },
      ],
    }) as unknown as Entity;
    await contact.save();
    ids.contact = contact.id!;
    const read = (await client.contacts.getById(ids.contact)) as unknown as { custom_fields_values: { field_code: string; values: { value: string; enum_code: string }[] }[] };
    expect(read.custom_fields_values.find((f) => f.field_code === 'PHONE')?.values[0]).toMatchObject({ value: '+79001230002', enum_code: 'MOB' });
  }));

  it(...calls.it('new Lead linked to the contact (embeddedContacts), read back with contacts', async () => {
    const lead = new client.Lead({ name: 'Сделка JS', price: 500 }) as unknown as Entity & { embeddedContacts: { add(c: unknown[]): void } };
    const contact = await client.contacts.getById(ids.contact!);
    lead.embeddedContacts.add([contact]);
    await lead.save();
    ids.lead = lead.id!;
    const { data } = await client.request.get<{ _embedded: { contacts: { id: number }[] } }>(`/api/v4/leads/${ids.lead}`, { with: 'contacts' });
    expect(data._embedded.contacts.map((c) => c.id)).toEqual([ids.contact]);
  }));

  it(...calls.it('leads.create([{}, {name}])', async () => {
    const created = (await client.leads.create([{}, { name: 'Вторая JS' }])) as unknown as { id: number }[];
    expect(created).toHaveLength(2);
    ids.bare = created.map((l) => l.id);
    expect(ids.bare.every((id) => id > 0)).toBe(true);
  }));

  it(...calls.it('POST /api/v4/leads/complex through client.request.post', async () => {
    const { data } = await client.request.post<{ id: number; contact_id: number | null; request_id: string[]; merged: boolean }[]>('/api/v4/leads/complex', [
      { name: 'Комплекс JS', request_id: 'cx1', _embedded: { contacts: [{ first_name: 'Анна' }] } },
    ]);
    expect(data[0]).toMatchObject({ request_id: ['cx1'], merged: false });
    expect(data[0]!.contact_id).toBeGreaterThan(0);
  }));

  it(...calls.it('leads.get with an id filter and contacts', async () => {
    const page = (await client.leads.get({ filter: { id: [ids.lead!, ids.bare![0]!] }, with: ['contacts'] } as never)) as unknown as Page<{ id: number }>;
    expect(page.getData().map((l) => l.id).sort()).toEqual([ids.lead!, ids.bare![0]!].sort());
  }));

  it(...calls.it('leads.get and contacts.get by query', async () => {
    const leads = (await client.leads.get({ query: 'Сделка JS' } as never)) as unknown as Page<{ id: number }>;
    expect(leads.getData().map((l) => l.id)).toContain(ids.lead);
    const contacts = (await client.contacts.get({ query: '79001230002' } as never)) as unknown as Page<{ id: number }>;
    expect(contacts.getData().map((c) => c.id)).toContain(ids.contact);
  }));

  it(...calls.it('pagination with limit 1: next(), prev(), hasNext()', async () => {
    const page = (await client.leads.get({ limit: 1 } as never)) as unknown as Page<{ id: number }>;
    const first = page.getData()[0]!.id;
    expect(page.hasNext()).toBe(true);
    await page.next();
    expect(page.getData()[0]!.id).not.toBe(first);
    expect(page.hasPrev()).toBe(true);
    await page.prev();
    expect(page.getData()[0]!.id).toBe(first);
  }));

  it(...calls.it('active-record round trip: getById → status_id → save() (the README way to move a deal)', async () => {
    const lead = (await client.leads.getById(ids.lead!)) as unknown as Entity;
    lead.status_id = ids.status!;
    await lead.save();
    const { data } = await client.request.get<{ status_id: number }>(`/api/v4/leads/${ids.lead}`);
    expect(data.status_id).toBe(ids.status);
  }));

  it(...calls.it('leads.update([{id, status_id: 142, pipeline_id}]) closes the deal', async () => {
    await client.leads.update([{ id: ids.lead!, status_id: 142, pipeline_id: ids.pipeline! }]);
    const { data } = await client.request.get<{ status_id: number; closed_at: number | null }>(`/api/v4/leads/${ids.lead}`);
    expect(data.status_id).toBe(142);
    expect(data.closed_at).toBeGreaterThan(0);
  }));

  it(...calls.it('notes: POST /api/v4/leads/{id}/notes and list them', async () => {
    await client.request.post(`/api/v4/leads/${ids.lead}/notes`, [{ note_type: 'common', params: { text: 'из amocrm-js' } }]);
    const { data } = await client.request.get<{ _embedded: { notes: { params: { text: string } }[] } }>(`/api/v4/leads/${ids.lead}/notes`);
    expect(data._embedded.notes.map((n) => n.params.text)).toContain('из amocrm-js');
  }));

  it(...calls.it('tasks.create([{text, complete_till, entity_id, entity_type}])', async () => {
    const created = (await client.tasks.create([
      { text: 'Перезвонить', complete_till: Math.floor(Date.now() / 1000) + 3600, entity_id: ids.lead!, entity_type: 'leads' },
    ] as never)) as unknown as { id: number }[];
    expect(created[0]!.id).toBeGreaterThan(0);
  }));

  it(...calls.it('getById of a missing lead answers 204 (an entity with no id)', async () => {
    const missing = (await client.leads.getById(987654321)) as unknown as { id?: number };
    expect(missing.id).toBeUndefined();
  }));
});
