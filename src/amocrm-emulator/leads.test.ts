import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

let emu: TestEmu;
beforeEach(async () => {
  emu = await startTestEmulator();
});
afterEach(async () => {
  await emu.close();
});

async function createLeads(n: number): Promise<number[]> {
  const res = await emu.api('POST', '/api/v4/leads', Array.from({ length: n }, (_, i) => ({ name: `Lead ${i}`, price: i })));
  expect(res.status).toBe(200);
  return res.json._embedded.leads.map((l: { id: number }) => l.id);
}

describe('leads: HAL and paging', () => {
  it('returns absolute links; next keeps every query param; first/prev from page 2; no next on the last page', async () => {
    await createLeads(5);
    const p1 = await emu.api('GET', '/api/v4/leads?limit=2&order[id]=desc&with=contacts');
    expect(p1.status).toBe(200);
    expect(p1.type).toContain('application/hal+json');
    expect(p1.json._links.first).toBeUndefined();
    const next = new URL(p1.json._links.next.href);
    expect(next.origin).toBe(emu.url);
    expect(next.searchParams.get('limit')).toBe('2');
    expect(next.searchParams.get('order[id]')).toBe('desc');
    expect(next.searchParams.get('with')).toBe('contacts');
    expect(next.searchParams.get('page')).toBe('2');
    const p2 = await emu.api('GET', next.pathname + next.search);
    expect(p2.json._page).toBe(2);
    expect(new URL(p2.json._links.prev.href).searchParams.get('page')).toBe('1');
    expect(new URL(p2.json._links.first.href).searchParams.get('page')).toBe('1');
    const p3 = await emu.api('GET', '/api/v4/leads?limit=2&page=3');
    expect(p3.json._embedded.leads).toHaveLength(1);
    expect(p3.json._links.next).toBeUndefined();
    expect(p1.json._embedded.leads[0].id).toBeGreaterThan(p1.json._embedded.leads[1].id);
    expect(p1.json._embedded.leads[0]._embedded.contacts).toEqual([]);
  });

  it('answers 204 with an empty body for empty lists, past-the-end pages and unknown ids', async () => {
    expect((await emu.api('GET', '/api/v4/leads')).status).toBe(204);
    await createLeads(1);
    const past = await emu.api('GET', '/api/v4/leads?page=2');
    expect(past.status).toBe(204);
    expect(past.text).toBe('');
    expect((await emu.api('GET', '/api/v4/leads/999')).status).toBe(204);
    expect((await emu.api('GET', '/api/v4/leads?limit=251')).status).toBe(422);
  });

  it('filters by id, statuses, created_at range and query', async () => {
    const [a, b] = await createLeads(2);
    const ids = await emu.api('GET', `/api/v4/leads?filter[id][]=${b}`);
    expect(ids.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([b]);
    const lead = (await emu.api('GET', `/api/v4/leads/${a}`)).json;
    const st = await emu.api('GET', `/api/v4/leads?filter[statuses][0][pipeline_id]=${lead.pipeline_id}&filter[statuses][0][status_id]=${lead.status_id}`);
    expect(st.json._embedded.leads).toHaveLength(2);
    const none = await emu.api('GET', `/api/v4/leads?filter[created_at][from]=${lead.created_at + 10}`);
    expect(none.status).toBe(204);
    const q = await emu.api('GET', '/api/v4/leads?query=Lead%201');
    expect(q.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([b]);
  });
});

describe('leads: validation', () => {
  it('validates the whole batch before writing and keys errors by request_id', async () => {
    const res = await emu.api('POST', '/api/v4/leads', [
      { name: 'ok' },
      { name: 'bad', status_id: 'x', custom_fields_values: [{ field_id: 1, values: [{ value: 'a' }] }], request_id: 'r2' },
    ]);
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.json['validation-errors']).toEqual([
      {
        request_id: 'r2',
        errors: expect.arrayContaining([
          expect.objectContaining({ code: 'InvalidType', path: 'status_id' }),
          expect.objectContaining({ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id' }),
        ]),
      },
    ]);
    expect((await emu.api('GET', '/api/v4/leads')).status).toBe(204);
  });

  it('rejects a contact field on a lead, enum_code on a field without enums, and an unknown enum', async () => {
    const state = emu.control.state() as { custom_fields: { id: number; code: string | null; entity_type: string }[] };
    const phone = state.custom_fields.find((f) => f.code === 'PHONE' && f.entity_type === 'contacts');
    const lead = await emu.api('POST', '/api/v4/leads', [{ custom_fields_values: [{ field_id: phone?.id, values: [{ value: '1' }] }] }]);
    expect(lead.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id' });
    const utm = await emu.api('POST', '/api/v4/leads', [{ custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'g', enum_code: 'WORK' }] }] }]);
    expect(utm.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'FieldNotExpected', path: 'custom_fields_values.0.values.0.enum_code' });
    const c = await emu.api('POST', '/api/v4/contacts', [{ custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+7900', enum_code: 'NOPE' }] }] }]);
    expect(c.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotSupportedChoice', path: 'custom_fields_values.0.values.0.enum_code' });
  });

  it('answers 400 for an empty body or array and 422 above 250 items', async () => {
    const empty = await emu.api('POST', '/api/v4/leads', []);
    expect(empty.status).toBe(400);
    expect(empty.json.detail).toBe('Request data can not be empty');
    const none = await fetch(`${emu.url}/api/v4/leads`, { method: 'POST', headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' } });
    expect(none.status).toBe(400);
    const big = await emu.api('POST', '/api/v4/leads', Array.from({ length: 251 }, () => ({})));
    expect(big.status).toBe(422);
    expect(big.json).toEqual({ title: 'Unprocessable Entity', type: 'https://httpstatus.es/422', status: 422, detail: 'Limit 250 per page' });
  });
});

describe('leads: writes', () => {
  it('sets closed_at on 142/143, keeps (pipeline_id, status_id) pairs and records status events', async () => {
    const [id] = await createLeads(1);
    const before = (await emu.api('GET', `/api/v4/leads/${id}`)).json;
    expect(before.closed_at).toBeNull();
    expect(before.custom_fields_values).toBeNull();
    const res = await emu.api('PATCH', `/api/v4/leads/${id}`, { status_id: 142, pipeline_id: before.pipeline_id });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id, updated_at: expect.any(Number) });
    const after = (await emu.api('GET', `/api/v4/leads/${id}`)).json;
    expect(after.status_id).toBe(142);
    expect(after.closed_at).toEqual(expect.any(Number));
    const ev = await emu.api('GET', `/api/v4/events?filter[type][]=lead_status_changed&filter[entity]=lead&filter[entity_id][]=${id}`);
    expect(ev.json._embedded.events).toHaveLength(1);
    const e0 = ev.json._embedded.events[0];
    expect(typeof e0.id).toBe('string');
    expect(e0.value_before).toEqual([{ lead_status: { id: before.status_id, pipeline_id: before.pipeline_id } }]);
    expect(e0.value_after).toEqual([{ lead_status: { id: 142, pipeline_id: before.pipeline_id } }]);
    const added = await emu.api('GET', '/api/v4/events?filter[type][]=lead_added');
    expect(added.json._embedded.events).toHaveLength(1);
    expect((await emu.api('GET', '/api/v4/events?limit=101')).status).toBe(422);
  });

  it('replaces tags with _embedded.tags and changes them one by one with tags_to_add/tags_to_delete', async () => {
    const res = await emu.api('POST', '/api/v4/leads', [{ name: 't', _embedded: { tags: [{ name: 'a' }, { name: 'b' }] } }]);
    const id = res.json._embedded.leads[0].id;
    const names = async (): Promise<string[]> => (await emu.api('GET', `/api/v4/leads/${id}`)).json._embedded.tags.map((t: { name: string }) => t.name).sort();
    expect(await names()).toEqual(['a', 'b']);
    await emu.api('PATCH', '/api/v4/leads', [{ id, tags_to_add: [{ name: 'c' }], tags_to_delete: [{ name: 'a' }] }]);
    expect(await names()).toEqual(['b', 'c']);
    await emu.api('PATCH', '/api/v4/leads', [{ id, _embedded: { tags: [{ name: 'z' }] } }]);
    expect(await names()).toEqual(['z']);
    await emu.api('PATCH', '/api/v4/leads', [{ id, _embedded: { tags: null } }]);
    expect(await names()).toEqual([]);
    const dict = await emu.api('GET', '/api/v4/leads/tags');
    expect(dict.json._embedded.tags.map((t: { name: string }) => t.name).sort()).toEqual(['a', 'b', 'c', 'z']);
  });

  it('replaces a multitext field as a whole on PATCH and exposes enum_id + enum_code', async () => {
    const c = await emu.api('POST', '/api/v4/contacts', [
      { first_name: 'A', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79000000001', enum_code: 'MOB' }, { value: '+79000000002' }] }] },
    ]);
    const id = c.json._embedded.contacts[0].id;
    const read1 = (await emu.api('GET', `/api/v4/contacts/${id}`)).json;
    expect(read1.custom_fields_values[0].values).toEqual([
      { value: '+79000000001', enum_id: expect.any(Number), enum_code: 'MOB' },
      { value: '+79000000002', enum_id: expect.any(Number), enum_code: 'WORK' },
    ]);
    await emu.api('PATCH', `/api/v4/contacts/${id}`, { custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79000000003' }] }] });
    const read2 = (await emu.api('GET', `/api/v4/contacts/${id}`)).json;
    expect(read2.custom_fields_values[0].values.map((v: { value: string }) => v.value)).toEqual(['+79000000003']);
    const byDigits = await emu.api('GET', '/api/v4/contacts?query=9000000003');
    expect(byDigits.json._embedded.contacts[0].id).toBe(id);
    expect((await emu.api('GET', '/api/v4/contacts?query=9000000001')).status).toBe(204);
  });

  it('bumps updated_at with the emulator clock', async () => {
    const [id] = await createLeads(1);
    const before = (await emu.api('GET', `/api/v4/leads/${id}`)).json;
    emu.control.advanceClock(60_000);
    await emu.api('PATCH', `/api/v4/leads/${id}`, { price: 777 });
    const after = (await emu.api('GET', `/api/v4/leads/${id}`)).json;
    expect(after.updated_at).toBe(before.updated_at + 60);
    expect(after.price).toBe(777);
  });

  it('answers 404 problem+json for unknown routes and 405 for a wrong method', async () => {
    const res = await emu.api('GET', '/api/v4/nope');
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
    const wrongMethod = await emu.api('DELETE', '/api/v4/leads/1');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json).toMatchObject({ title: 'Method Not Allowed', status: 405 });
  });
});
