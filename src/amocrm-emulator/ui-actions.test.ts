import qs from 'qs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANAGER_USER_ID } from './seed.js';
import { startHookReceiver, startTestEmulator, type HookReceiver, type TestEmu } from '../../test/emulator.js';

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0, 500);
let emu: TestEmu;
let hooks: HookReceiver;
beforeEach(async () => {
  emu = await startTestEmulator({ webhookGroupMs: 10, now: () => T0 }); // a fixed clock: only advanceClock moves it
  hooks = await startHookReceiver();
});
afterEach(async () => {
  await emu.close();
  await hooks.close();
});

type Hook = Record<string, Record<string, Record<string, Record<string, string>>>>;
const parsed = (): Hook[] => hooks.bodies.map((b) => qs.parse(b, { depth: 10 }) as unknown as Hook);
const subscribe = (settings: string[]) => emu.api('POST', '/api/v4/webhooks', { destination: hooks.url, settings });
const ctl = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/_emulator${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};
const eventTypes = async (leadId: number): Promise<string[]> => {
  const res = await emu.api('GET', `/api/v4/events?filter[entity][]=lead&filter[entity_id][]=${leadId}`);
  return res.status === 204 ? [] : res.json._embedded.events.map((e: { type: string }) => e.type);
};

describe('GET /api/v4/leads?query=', () => {
  it('finds a lead by a custom text field value (LEADBRIDGE_ID), by name and by id, never by stray digits', async () => {
    const field = (await emu.api('POST', '/api/v4/leads/custom_fields', [{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }])).json._embedded.custom_fields[0];
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const other = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const res = await emu.api('POST', '/api/v4/leads', [
      { name: 'Заявка с сайта', custom_fields_values: [{ field_code: 'LEADBRIDGE_ID', values: [{ value: uuid }] }] },
      { name: 'Other', custom_fields_values: [{ field_id: field.id, values: [{ value: other }] }] },
      { name: 'Digits 0895 and 0867' },
    ]);
    const [a, b] = res.json._embedded.leads.map((l: { id: number }) => l.id);
    const ids = async (q: string): Promise<number[]> => {
      const r = await emu.api('GET', `/api/v4/leads?query=${encodeURIComponent(q)}`);
      return r.status === 204 ? [] : r.json._embedded.leads.map((l: { id: number }) => l.id);
    };
    expect(await ids(uuid)).toEqual([a]);
    expect(await ids(uuid.toUpperCase())).toEqual([a]);
    expect(await ids(other)).toEqual([b]);
    expect(await ids('заявка')).toEqual([a]);
    expect(await ids(String(b))).toEqual([b]);
    expect(await ids('11111111-2222-4333-8444-555555555555')).toEqual([]);
    emu.control.deleteLead(a);
    expect(await ids(uuid)).toEqual([]);
  });

  it('finds contacts by name as well as by phone digits and email', async () => {
    await emu.api('POST', '/api/v4/contacts', [
      {
        name: 'Екатерина Смирнова',
        custom_fields_values: [
          { field_code: 'PHONE', values: [{ value: '+7 (912) 345-67-89', enum_code: 'MOB' }] },
          { field_code: 'EMAIL', values: [{ value: 'kate@example.com' }] },
        ],
      },
      { name: 'Someone Else' },
    ]);
    const names = async (q: string): Promise<string[]> => {
      const r = await emu.api('GET', `/api/v4/contacts?query=${encodeURIComponent(q)}`);
      return r.status === 204 ? [] : r.json._embedded.contacts.map((c: { name: string }) => c.name);
    };
    expect(await names('смирнова')).toEqual(['Екатерина Смирнова']);
    expect(await names('79123456789')).toEqual(['Екатерина Смирнова']);
    expect(await names('kate@example.com')).toEqual(['Екатерина Смирнова']);
    expect(await names('else')).toEqual(['Someone Else']);
  });
});

describe('trash and restore (control.deleteLead / restoreLead)', () => {
  it('hides a deleted lead (204, out of lists, listed with with=only_deleted) and fires leads[delete] then leads[restore]', async () => {
    await subscribe(['delete_lead', 'restore_lead']);
    const [id, keep] = (await emu.api('POST', '/api/v4/leads', [{ name: 'to trash' }, { name: 'stays' }])).json._embedded.leads.map((l: { id: number }) => l.id);
    const lead = (await emu.api('GET', `/api/v4/leads/${id}`)).json;

    emu.control.advanceClock(1000);
    emu.control.deleteLead(id, { userId: MANAGER_USER_ID });
    const get = await emu.api('GET', `/api/v4/leads/${id}`);
    expect(get.status).toBe(204);
    expect(get.text).toBe('');
    expect((await emu.api('GET', '/api/v4/leads')).json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([keep]);
    const trash = await emu.api('GET', '/api/v4/leads?with=only_deleted');
    expect(trash.json._embedded.leads).toEqual([expect.objectContaining({ id, is_deleted: true })]);
    expect((await emu.api('PATCH', `/api/v4/leads/${id}`, { name: 'x' })).status).toBe(400);
    expect(() => emu.control.deleteLead(id)).toThrow();
    await emu.control.flushWebhooks();
    expect(parsed()[0]?.leads?.delete?.['0']).toEqual({ id: String(id), status_id: String(lead.status_id), pipeline_id: String(lead.pipeline_id) });

    emu.control.advanceClock(1000);
    emu.control.restoreLead(id);
    const back = (await emu.api('GET', `/api/v4/leads/${id}`)).json;
    expect(back).toMatchObject({ id, is_deleted: false, updated_at: lead.updated_at + 2 });
    expect((await emu.api('GET', '/api/v4/leads?with=only_deleted')).status).toBe(204);
    await emu.control.flushWebhooks();
    expect(parsed()[1]?.leads?.restore?.['0']).toMatchObject({ id: String(id), name: 'to trash', status_id: String(lead.status_id), updated_at: String(lead.updated_at + 2) });

    expect(await eventTypes(id)).toEqual(['lead_restored', 'lead_deleted', 'lead_added']);
    const deleted = (await emu.api('GET', '/api/v4/events?filter[type][]=lead_deleted')).json._embedded.events[0];
    expect(deleted).toMatchObject({ entity_id: id, entity_type: 'lead', created_by: MANAGER_USER_ID, created_at: lead.updated_at + 1 });
  });

  it('is mirrored under /_emulator/leads/:id/delete and /restore (404 for unknown ids)', async () => {
    const id = (await emu.api('POST', '/api/v4/leads', [{ name: 'http' }])).json._embedded.leads[0].id as number;
    expect((await ctl('POST', `/leads/${id}/delete`, { user_id: MANAGER_USER_ID })).status).toBe(200);
    expect((await emu.api('GET', `/api/v4/leads/${id}`)).status).toBe(204);
    expect((await ctl('POST', `/leads/${id}/delete`)).status).toBe(404);
    expect((await ctl('POST', `/leads/${id}/restore`)).status).toBe(200);
    expect((await emu.api('GET', `/api/v4/leads/${id}`)).status).toBe(200);
    expect((await ctl('POST', '/leads/424242/restore')).status).toBe(404);
  });
});

describe('control.createLeadInUi', () => {
  it('creates a deal as a manager with a linked contact and fires add_lead + lead_added', async () => {
    await subscribe(['add_lead']);
    const contact = (await emu.api('POST', '/api/v4/contacts', [{ name: 'Ivan' }])).json._embedded.contacts[0].id as number;
    const id = emu.control.createLeadInUi({ name: 'Manager deal', price: 1500, user_id: MANAGER_USER_ID, contact_ids: [contact], tags: ['ui'] });
    const lead = (await emu.api('GET', `/api/v4/leads/${id}?with=contacts`)).json;
    expect(lead).toMatchObject({ name: 'Manager deal', price: 1500, created_by: MANAGER_USER_ID, responsible_user_id: MANAGER_USER_ID });
    expect(lead._embedded.contacts).toEqual([expect.objectContaining({ id: contact, is_main: true })]);
    expect(lead._embedded.tags).toEqual([expect.objectContaining({ name: 'ui' })]);
    expect(await eventTypes(id)).toEqual(['lead_added']);
    await emu.control.flushWebhooks();
    expect(parsed()[0]?.leads?.add?.['0']).toMatchObject({ id: String(id), name: 'Manager deal', created_user_id: String(MANAGER_USER_ID) });

    const viaHttp = await ctl('POST', '/leads', { name: 'HTTP deal', status_id: 142 });
    expect(viaHttp.json.id).toEqual(expect.any(Number));
    expect((await emu.api('GET', `/api/v4/leads/${String(viaHttp.json.id)}`)).json).toMatchObject({ status_id: 142, closed_at: expect.any(Number) });
    expect((await ctl('POST', '/leads', { contact_ids: [999] })).status).toBe(400);
    expect(() => emu.control.createLeadInUi({ status_id: 12345 })).toThrow(/NotSupportedChoice status_id/);
  });
});

describe('control.updateContact', () => {
  it('edits a contact card: update_contact (+ responsible_contact) webhooks and per-field events', async () => {
    await subscribe(['update_contact', 'responsible_contact']);
    const id = (await emu.api('POST', '/api/v4/contacts', [{ name: 'Old Name', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79990000000' }] }] }])).json._embedded.contacts[0].id as number;
    emu.control.advanceClock(1000);
    emu.control.updateContact(id, { name: 'New Name', responsible_user_id: MANAGER_USER_ID, custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79991111111' }] }] });
    const c = (await emu.api('GET', `/api/v4/contacts/${id}`)).json;
    expect(c).toMatchObject({ name: 'New Name', responsible_user_id: MANAGER_USER_ID });
    expect(c.custom_fields_values[0].values).toEqual([expect.objectContaining({ value: '+79991111111' })]);
    await emu.control.flushWebhooks();
    // One action per POST, as amoCRM sends them.
    const bodies = parsed();
    expect(bodies.map((b) => Object.keys(b?.contacts ?? {}))).toEqual([['update'], ['responsible']]);
    expect(bodies[0]?.contacts?.update?.['0']).toMatchObject({ id: String(id), name: 'New Name', type: 'contact', updated_at: String(c.updated_at) });
    expect(bodies[1]?.contacts?.responsible?.['0']).toMatchObject({ id: String(id), responsible_user_id: String(MANAGER_USER_ID) });
    const events = (await emu.api('GET', `/api/v4/events?filter[entity][]=contact&filter[entity_id][]=${id}`)).json._embedded.events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['name_field_changed', 'entity_responsible_changed', expect.stringMatching(/^custom_field_\d+_value_changed$/)]));

    expect((await ctl('PATCH', `/contacts/${id}`, { first_name: 'Via', last_name: 'HTTP' })).status).toBe(200);
    expect((await emu.api('GET', `/api/v4/contacts/${id}`)).json.name).toBe('Via HTTP');
    expect((await ctl('PATCH', '/contacts/31999999', { name: 'x' })).status).toBe(404);
    expect(() => emu.control.updateContact(id, { responsible_user_id: 1 })).toThrow(/NotSupportedChoice/);
  });
});
