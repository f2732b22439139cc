import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from './index.js';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

let emu: TestEmu | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});
const start = async (o: EmulatorOptions = {}): Promise<TestEmu> => (emu = await startTestEmulator(o));

const item = (phone: string, rid: string, extra: Record<string, unknown> = {}) => ({
  name: `Site ${rid}`,
  price: 100,
  request_id: rid,
  custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'google' }] }],
  _embedded: {
    contacts: [{ first_name: 'Ekaterina', custom_fields_values: [{ field_code: 'PHONE', values: [{ enum_code: 'WORK', value: phone }] }] }],
    companies: [{ name: 'ACME' }],
    ...extra,
  },
});

describe('/leads/complex', () => {
  it('answers a bare array with array request_ids and links the new contact and company', async () => {
    const e = await start();
    const res = await e.api('POST', '/api/v4/leads/complex', [item('+79123456789', 'a'), item('+79000000000', 'b')]);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json)).toBe(true);
    expect(res.json[0]).toEqual({ id: expect.any(Number), contact_id: expect.any(Number), company_id: expect.any(Number), request_id: ['a'], merged: false });
    const lead = (await e.api('GET', `/api/v4/leads/${res.json[0].id}?with=contacts`)).json;
    expect(lead._embedded.contacts[0]).toMatchObject({ id: res.json[0].contact_id, is_main: true });
    expect(lead._embedded.companies[0].id).toBe(res.json[0].company_id);
    const contact = (await e.api('GET', `/api/v4/contacts/${res.json[0].contact_id}`)).json;
    expect(contact._embedded.companies[0].id).toBe(res.json[0].company_id);
  });

  it('reuses an existing contact given as {id}', async () => {
    const e = await start();
    const c = await e.api('POST', '/api/v4/contacts', [{ name: 'X' }]);
    const cid = c.json._embedded.contacts[0].id;
    const res = await e.api('POST', '/api/v4/leads/complex', [{ name: 'L', _embedded: { contacts: [{ id: cid }] } }]);
    expect(res.json[0].contact_id).toBe(cid);
  });

  it('merges into the open lead of a duplicate contact when duplicate control is on', async () => {
    const e = await start({ duplicateControl: true });
    const first = await e.api('POST', '/api/v4/leads/complex', [item('+7 (912) 345-67-89', 'a')]);
    const second = await e.api('POST', '/api/v4/leads/complex', [item('89123456789', 'b')]);
    expect(second.json[0]).toMatchObject({ id: first.json[0].id, contact_id: first.json[0].contact_id, merged: true, request_id: ['b'] });
    const off = await start();
    const a = await off.api('POST', '/api/v4/leads/complex', [item('+79123456789', 'a')]);
    const b = await off.api('POST', '/api/v4/leads/complex', [item('+79123456789', 'b')]);
    expect(b.json[0].merged).toBe(false);
    expect(b.json[0].id).not.toBe(a.json[0].id);
    await off.close();
  });

  it('rejects more than 50 items and validates nested contacts with dotted paths', async () => {
    const e = await start();
    const many = await e.api('POST', '/api/v4/leads/complex', Array.from({ length: 51 }, (_, i) => ({ name: String(i) })));
    expect(many.status).toBe(422);
    const bad = await e.api('POST', '/api/v4/leads/complex', [{ _embedded: { contacts: [{ custom_fields_values: [{ field_code: 'NOPE', values: [{ value: 'x' }] }] }] } }]);
    expect(bad.status).toBe(400);
    expect(bad.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotSupportedChoice', path: '_embedded.contacts.0.custom_fields_values.0.field_code' });
  });

  it('puts a lead with metadata into the unsorted stage and hides its contact until accepted', async () => {
    const e = await start();
    const meta = { category: 'forms', form_id: 1, form_name: 'Site form', form_page: 'https://example.com', form_sent_at: 1608905348 };
    const res = await e.api('POST', '/api/v4/leads/complex', [item('+79123456789', 'u', { metadata: meta })]);
    const pipelines = (await e.api('GET', '/api/v4/leads/pipelines')).json._embedded.pipelines;
    const unsorted = pipelines[0]._embedded.statuses.find((s: { type: number }) => s.type === 1);
    const state = e.control.state() as { leads: { id: number; status_id: number }[] };
    expect(state.leads.find((l) => l.id === res.json[0].id)?.status_id).toBe(unsorted.id);
    expect((await e.api('GET', `/api/v4/contacts/${res.json[0].contact_id}`)).status).toBe(204);
    const list = await e.api('GET', '/api/v4/leads/unsorted');
    expect(list.json._embedded.unsorted).toHaveLength(1);
  });
});

describe('unsorted forms', () => {
  const form = (uid = 'src-1') => ({
    request_id: '123',
    source_name: 'example.com landing',
    source_uid: uid,
    _embedded: { leads: [{ name: 'Service request', price: 5000 }], contacts: [{ first_name: 'Ivan', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79121112233' }] }] }] },
    metadata: { form_id: 'landing-form-1', form_name: 'Callback form', form_page: 'https://example.com', form_sent_at: 1590830520 },
  });

  it('requires source_uid, source_name and metadata', async () => {
    const e = await start();
    const res = await e.api('POST', '/api/v4/leads/unsorted/forms', [{ _embedded: { leads: [{}] } }]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors'][0].errors.map((x: { path: string }) => x.path).sort()).toEqual(['metadata', 'source_name', 'source_uid']);
  });

  it('hides the contact until accept, rejects a duplicate submission, and accepts into the first stage', async () => {
    const e = await start();
    const res = await e.api('POST', '/api/v4/leads/unsorted/forms', [form()]);
    expect(res.status).toBe(200);
    const u = res.json._embedded.unsorted[0];
    expect(u).toMatchObject({ uid: expect.any(String), request_id: '123', _embedded: { leads: [{ id: expect.any(Number) }], contacts: [{ id: expect.any(Number) }], companies: [] } });
    const contactId = u._embedded.contacts[0].id;
    expect((await e.api('GET', '/api/v4/contacts')).status).toBe(204);
    const stages = (await e.api('GET', '/api/v4/leads/pipelines')).json._embedded.pipelines[0]._embedded.statuses;
    const pending = (await e.api('GET', `/api/v4/leads/${u._embedded.leads[0].id}`)).json;
    expect(stages.find((s: { id: number }) => s.id === pending.status_id).type).toBe(1);
    const dup = await e.api('POST', '/api/v4/leads/unsorted/forms', [form()]);
    expect(dup.status).toBe(400);
    const acc = await e.api('POST', `/api/v4/leads/unsorted/${u.uid}/accept`, { user_id: 8000001 });
    expect(acc.status).toBe(200);
    expect((await e.api('GET', `/api/v4/contacts/${contactId}`)).status).toBe(200);
    const lead = (await e.api('GET', `/api/v4/leads/${u._embedded.leads[0].id}`)).json;
    expect(stages.find((s: { id: number }) => s.id === lead.status_id).type).toBe(0);
    expect((await e.api('POST', `/api/v4/leads/unsorted/${u.uid}/accept`, {})).status).toBe(404);
  });

  it('declines with a DELETE that carries a body', async () => {
    const e = await start();
    const u = (await e.api('POST', '/api/v4/leads/unsorted/forms', [form('src-2')])).json._embedded.unsorted[0];
    const res = await e.api('DELETE', `/api/v4/leads/unsorted/${u.uid}/decline`, { user_id: 8000001 });
    expect(res.status).toBe(200);
    expect((await e.api('GET', `/api/v4/contacts/${u._embedded.contacts[0].id}`)).status).toBe(204);
    expect((await e.api('GET', '/api/v4/leads/unsorted/nope')).status).toBe(404);
  });
});
