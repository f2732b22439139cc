import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from './index.js';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

let emu: TestEmu | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});
const start = async (o: EmulatorOptions = {}): Promise<TestEmu> => (emu = await startTestEmulator(o));
const ctl = (e: TestEmu, method: string, path: string, body?: unknown) =>
  fetch(`${e.url}/_emulator${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe('pipelines and statuses', () => {
  it('creates pipelines from an array with unsorted + shared 142/143 statuses and validates palette colours', async () => {
    const e = await start();
    const bad = await e.api('POST', '/api/v4/leads/pipelines', [{ name: 'P', sort: 20, is_main: false, is_unsorted_on: true, _embedded: { statuses: [{ name: 'S', color: '#123456' }] } }]);
    expect(bad.status).toBe(400);
    expect(bad.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotSupportedChoice', path: '_embedded.statuses.0.color' });
    const res = await e.api('POST', '/api/v4/leads/pipelines', [
      { name: 'P', sort: 20, is_main: false, is_unsorted_on: true, request_id: 'p1', _embedded: { statuses: [{ name: 'New', sort: 20, color: '#fffeb2' }, { id: 142, name: 'Won!' }] } },
    ]);
    expect(res.status).toBe(200);
    const p = res.json._embedded.pipelines[0];
    expect(p.request_id).toBe('p1');
    const statuses = p._embedded.statuses as { id: number; type: number; name: string }[];
    expect(statuses.filter((s) => s.type === 1)).toHaveLength(1);
    expect(statuses.find((s) => s.id === 142)?.name).toBe('Won!');
    expect(statuses.some((s) => s.id === 143)).toBe(true);
    const all = (await e.api('GET', '/api/v4/leads/pipelines')).json;
    expect(all._total_items).toBe(2);
    const lead = (await e.api('POST', '/api/v4/leads', [{ pipeline_id: p.id, status_id: 142 }])).json._embedded.leads[0].id;
    const read = (await e.api('GET', `/api/v4/leads/${lead}`)).json;
    expect([read.pipeline_id, read.status_id]).toEqual([p.id, 142]);
    expect((await e.api('DELETE', `/api/v4/leads/pipelines/${p.id}`)).status).toBe(400);
    const st = await e.api('POST', `/api/v4/leads/pipelines/${p.id}/statuses`, [{ name: 'Extra', color: '#deff81' }]);
    expect(st.json._embedded.statuses[0]).toMatchObject({ name: 'Extra', pipeline_id: p.id, type: 0 });
  });
});

describe('custom fields', () => {
  it('pages the list with _page_count and links, creates (array) with unique codes, patches and deletes', async () => {
    const e = await start();
    const page = (await e.api('GET', '/api/v4/leads/custom_fields?limit=5')).json;
    expect(page._page_count).toBeGreaterThan(1);
    expect(page._links.next.href).toContain('page=2');
    expect(page._links.last).toBeDefined();
    const tracking = (await e.api('GET', '/api/v4/leads/custom_fields?filter[type][]=tracking_data&limit=250')).json._embedded.custom_fields.map((f: { code: string }) => f.code);
    expect(tracking).toEqual(expect.arrayContaining(['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM', 'UTM_REFERRER', 'REFERRER', 'GCLID', 'YCLID', 'FBCLID']));
    const created = await e.api('POST', '/api/v4/leads/custom_fields', [{ name: 'Lead key', type: 'text', code: 'LB_KEY' }]);
    expect(created.status).toBe(200);
    const id = created.json._embedded.custom_fields[0].id;
    const dup = await e.api('POST', '/api/v4/leads/custom_fields', [{ name: 'again', type: 'text', code: 'LB_KEY' }]);
    expect(dup.status).toBe(400);
    const wrongEntity = await e.api('POST', '/api/v4/leads/custom_fields', [{ name: 'phones', type: 'multitext' }]);
    expect(wrongEntity.status).toBe(400);
    expect((await e.api('PATCH', `/api/v4/leads/custom_fields/${id}`, { sort: 7 })).json.sort).toBe(7);
    const lead = (await e.api('POST', '/api/v4/leads', [{ custom_fields_values: [{ field_code: 'LB_KEY', values: [{ value: 'abc' }] }] }])).json._embedded.leads[0].id;
    expect((await e.api('DELETE', `/api/v4/leads/custom_fields/${id}`)).status).toBe(204);
    expect((await e.api('GET', `/api/v4/leads/${lead}`)).json.custom_fields_values).toBeNull();
    const groups = (await e.api('GET', '/api/v4/contacts/custom_fields/groups')).json;
    expect(groups._embedded.custom_field_groups[0].entity_type).toBe('contacts');
  });
});

describe('notes, tasks, links', () => {
  it('creates notes per entity and lists them', async () => {
    const e = await start();
    const lead = (await e.api('POST', '/api/v4/leads', [{}])).json._embedded.leads[0].id;
    const res = await e.api('POST', `/api/v4/leads/${lead}/notes`, [{ note_type: 'common', params: { text: 'hello' } }]);
    expect(res.json._embedded.notes[0]).toMatchObject({ entity_id: lead, request_id: '0' });
    const bad = await e.api('POST', '/api/v4/leads/notes', [{ entity_id: 1, note_type: 'nope', params: {} }]);
    expect(bad.status).toBe(400);
    const list = (await e.api('GET', `/api/v4/leads/${lead}/notes`)).json._embedded.notes;
    expect(list[0]).toMatchObject({ note_type: 'common', params: { text: 'hello' } });
    const ev = (await e.api('GET', '/api/v4/events?filter[type][]=common_note_added')).json._embedded.events;
    expect(ev).toHaveLength(1);
  });

  it('requires text and complete_till on tasks; an empty result is []', async () => {
    const e = await start();
    const bad = await e.api('POST', '/api/v4/tasks', [{ text: 'x' }]);
    expect(bad.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotBlank', path: 'complete_till' });
    const id = (await e.api('POST', '/api/v4/tasks', [{ text: 'Call', complete_till: 1900000000 }])).json._embedded.tasks[0].id;
    expect((await e.api('GET', `/api/v4/tasks/${id}`)).json.result).toEqual([]);
    await e.api('PATCH', `/api/v4/tasks/${id}`, { is_completed: true, result: { text: 'Called' } });
    const done = (await e.api('GET', `/api/v4/tasks/${id}`)).json;
    expect(done).toMatchObject({ is_completed: true, result: { text: 'Called' } });
    expect((await e.api('GET', '/api/v4/events?filter[type][]=task_completed')).json._embedded.events).toHaveLength(1);
  });

  it('links a contact to a lead and lists the links', async () => {
    const e = await start();
    const lead = (await e.api('POST', '/api/v4/leads', [{}])).json._embedded.leads[0].id;
    const contact = (await e.api('POST', '/api/v4/contacts', [{ name: 'C' }])).json._embedded.contacts[0].id;
    const res = await e.api('POST', `/api/v4/leads/${lead}/link`, [{ to_entity_id: contact, to_entity_type: 'contacts', metadata: { is_main: true } }]);
    expect(res.status).toBe(200);
    const links = (await e.api('GET', `/api/v4/leads/${lead}/links`)).json._embedded.links;
    expect(links[0]).toMatchObject({ to_entity_id: contact, to_entity_type: 'contacts', metadata: { main_contact: true } });
    const withContacts = (await e.api('GET', `/api/v4/leads/${lead}?with=contacts`)).json;
    expect(withContacts._embedded.contacts[0].id).toBe(contact);
  });
});

describe('control API', () => {
  it('moves and edits leads like a manager, advances the clock and resets over HTTP', async () => {
    const e = await start();
    const lead = (await e.api('POST', '/api/v4/leads', [{ price: 1 }])).json._embedded.leads[0].id;
    const pipeline = (await e.api('GET', `/api/v4/leads/${lead}`)).json.pipeline_id;
    expect((await ctl(e, 'POST', '/clock', { advanceMs: 3_600_000 })).status).toBe(200);
    expect((await ctl(e, 'POST', `/leads/${lead}/move`, { pipeline_id: pipeline, status_id: 143 })).status).toBe(200);
    expect((await ctl(e, 'PATCH', `/leads/${lead}`, { price: 500, responsible_user_id: 8000002 })).status).toBe(200);
    const read = (await e.api('GET', `/api/v4/leads/${lead}`)).json;
    expect(read).toMatchObject({ status_id: 143, price: 500, responsible_user_id: 8000002, closed_at: expect.any(Number) });
    const types = (await e.api('GET', '/api/v4/events?limit=100')).json._embedded.events.map((x: { type: string }) => x.type);
    expect(types).toEqual(expect.arrayContaining(['lead_added', 'lead_status_changed', 'sale_field_changed', 'entity_responsible_changed']));
    const state = (await (await ctl(e, 'GET', '/state')).json()) as { calls: { path: string; status: number }[]; leads: unknown[] };
    expect(state.calls.some((c) => c.path === '/api/v4/leads' && c.status === 200)).toBe(true);
    expect(state.leads).toHaveLength(1);
    await ctl(e, 'POST', '/reset', {});
    const fresh = (await (await ctl(e, 'GET', '/state')).json()) as { leads: unknown[]; calls: unknown[] };
    expect(fresh.leads).toHaveLength(0);
    expect((await e.api('GET', '/api/v4/account')).status).toBe(401);
  });

  it('persists state to a file and loads it on the next start', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'emu-')), 'state.json');
    const a = await start({ stateFile: file });
    await a.api('POST', '/api/v4/leads', [{ name: 'persisted' }]);
    await a.close();
    const b = await start({ stateFile: file });
    const list = await b.api('GET', '/api/v4/leads', undefined, a.token);
    expect(list.status).toBe(200);
    expect(list.json._embedded.leads[0].name).toBe('persisted');
  });

  it('calls a disable hook with a correct HMAC signature', async () => {
    const e = await start();
    let query: URLSearchParams | undefined;
    const server = createServer((req, res) => {
      query = new URL(req.url ?? '', 'http://x').searchParams;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const status = await e.control.callDisableHook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/disable`);
    await new Promise((r) => server.close(r));
    expect(status).toBe(200);
    const { clientId, clientSecret, accountId } = e.config;
    expect(query?.get('client_uuid')).toBe(clientId);
    expect(query?.get('account_id')).toBe(String(accountId));
    expect(query?.get('signature')).toBe(createHmac('sha256', clientSecret).update(`${clientId}|${accountId}`).digest('hex'));
  });
});
