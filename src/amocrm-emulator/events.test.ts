import qs from 'qs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_USER_ID, MANAGER_USER_ID } from './seed.js';
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

interface Ev {
  id: string;
  type: string;
  entity_id: number;
  entity_type: string;
  created_by: number;
  created_at: number;
  value_before: unknown[];
  value_after: unknown[];
}

async function events(query: string): Promise<Ev[]> {
  const res = await emu.api('GET', `/api/v4/events?${query}`);
  if (res.status === 204) return [];
  expect(res.status).toBe(200);
  return res.json._embedded.events;
}

async function newLead(name = 'Lead'): Promise<{ id: number; pipeline_id: number; status_id: number; created_at: number }> {
  const id = (await emu.api('POST', '/api/v4/leads', [{ name }])).json._embedded.leads[0].id as number;
  return (await emu.api('GET', `/api/v4/leads/${id}`)).json;
}

function stages(pipelineId: number): Promise<number[]> {
  return emu.api('GET', `/api/v4/leads/pipelines/${pipelineId}`).then((r) => r.json._embedded.statuses.filter((s: { type: number }) => s.type === 0).map((s: { id: number }) => s.id));
}

describe('events: what every change records (fact sheet §7.12)', () => {
  it('records status, responsible, price, name, custom field, delete and restore with value_before/value_after', async () => {
    const lead = await newLead('Before');
    const [, second] = await stages(lead.pipeline_id);
    const cf = (await emu.api('GET', '/api/v4/leads/custom_fields?filter[type][]=textarea')).json._embedded.custom_fields[0].id as number;
    emu.control.advanceClock(1000);
    emu.control.moveLead(lead.id, lead.pipeline_id, second as number);
    emu.control.updateLead(lead.id, { responsible_user_id: MANAGER_USER_ID, price: 700, name: 'After', custom_fields_values: [{ field_id: cf, values: [{ value: 'note' }] }] });
    emu.control.deleteLead(lead.id);
    emu.control.restoreLead(lead.id);

    const byType = new Map((await events(`filter[entity][]=lead&filter[entity_id][]=${lead.id}`)).map((e) => [e.type, e]));
    expect([...byType.keys()].sort()).toEqual(
      ['custom_field_' + cf + '_value_changed', 'entity_responsible_changed', 'lead_added', 'lead_deleted', 'lead_restored', 'lead_status_changed', 'name_field_changed', 'sale_field_changed'].sort(),
    );
    expect(byType.get('lead_status_changed')).toMatchObject({
      entity_type: 'lead',
      created_by: ADMIN_USER_ID,
      created_at: lead.created_at + 1,
      value_before: [{ lead_status: { id: lead.status_id, pipeline_id: lead.pipeline_id } }],
      value_after: [{ lead_status: { id: second, pipeline_id: lead.pipeline_id } }],
    });
    expect(byType.get('entity_responsible_changed')).toMatchObject({ value_before: [{ responsible_user: { id: ADMIN_USER_ID } }], value_after: [{ responsible_user: { id: MANAGER_USER_ID } }] });
    expect(byType.get('sale_field_changed')).toMatchObject({ value_before: [{ sale_field_value: { sale: 0 } }], value_after: [{ sale_field_value: { sale: 700 } }] });
    expect(byType.get('name_field_changed')).toMatchObject({ value_before: [{ name_field_value: { name: 'Before' } }], value_after: [{ name_field_value: { name: 'After' } }] });
    expect(byType.get(`custom_field_${cf}_value_changed`)).toMatchObject({ value_before: [], value_after: [{ custom_field_value: { field_id: cf, text: 'note' } }] });
    for (const t of ['lead_deleted', 'lead_restored']) expect(byType.get(t)).toMatchObject({ entity_id: lead.id, value_before: [], value_after: [] });
    const one = byType.get('lead_status_changed') as Ev;
    expect(typeof one.id).toBe('string');
    expect((await emu.api('GET', `/api/v4/events/${one.id}`)).json).toMatchObject({ id: one.id, type: 'lead_status_changed' });
  });
});

describe('events: filters and paging', () => {
  it('filters by several types, created_at from/to, entity and entity_id; newest first', async () => {
    const a = await newLead('A');
    const b = await newLead('B');
    const [, s2, s3] = await stages(a.pipeline_id);
    emu.control.advanceClock(10_000);
    const from = a.created_at + 10;
    emu.control.moveLead(a.id, a.pipeline_id, s2 as number);
    emu.control.advanceClock(1000);
    emu.control.updateLead(b.id, { price: 5 });
    emu.control.advanceClock(1000);
    emu.control.moveLead(b.id, b.pipeline_id, s3 as number);

    const multi = await events(`filter[type][]=lead_status_changed&filter[type][]=sale_field_changed&filter[created_at][from]=${from}`);
    expect(multi.map((e) => [e.type, e.entity_id])).toEqual([
      ['lead_status_changed', b.id],
      ['sale_field_changed', b.id],
      ['lead_status_changed', a.id],
    ]);
    expect(multi.map((e) => e.created_at)).toEqual([from + 2, from + 1, from]);
    const comma = await events(`filter[type]=lead_status_changed,sale_field_changed&filter[created_at][from]=${from}`);
    expect(comma.map((e) => e.id)).toEqual(multi.map((e) => e.id));
    const window = await events(`filter[type][]=lead_status_changed&filter[created_at][from]=${from}&filter[created_at][to]=${from + 1}`);
    expect(window.map((e) => e.entity_id)).toEqual([a.id]);
    const onlyB = await events(`filter[entity][]=lead&filter[entity_id][]=${b.id}`);
    expect(new Set(onlyB.map((e) => e.entity_id))).toEqual(new Set([b.id]));
    expect(onlyB.map((e) => e.type)).toEqual(['lead_status_changed', 'sale_field_changed', 'lead_added']);
    expect(await events('filter[entity][]=contact')).toEqual([]);
    const won = await events(`filter[type][]=lead_status_changed&filter[value_after][leads_statuses][0][pipeline_id]=${a.pipeline_id}&filter[value_after][leads_statuses][0][status_id]=${s3}`);
    expect(won.map((e) => e.entity_id)).toEqual([b.id]);
    const left = await events(`filter[value_before][leads_statuses][0][pipeline_id]=${a.pipeline_id}&filter[value_before][leads_statuses][0][status_id]=${s2}`);
    expect(left).toEqual([]);
  });

  it('pages with limit ≤ 100 and absolute HAL next links that keep the filters', async () => {
    await emu.api('POST', '/api/v4/leads', Array.from({ length: 120 }, (_, i) => ({ name: `L${i}` })));
    const p1 = await emu.api('GET', '/api/v4/events?filter[type][]=lead_added&limit=100');
    expect(p1.json._embedded.events).toHaveLength(100);
    const next = new URL(p1.json._links.next.href);
    expect(next.origin).toBe(emu.url);
    expect(next.searchParams.get('filter[type][]')).toBe('lead_added');
    expect(next.searchParams.get('page')).toBe('2');
    const p2 = await emu.api('GET', next.pathname + next.search);
    expect(p2.json._embedded.events).toHaveLength(20);
    expect(p2.json._links.next).toBeUndefined();
    const all = [...p1.json._embedded.events, ...p2.json._embedded.events].map((e: Ev) => e.id);
    expect(new Set(all).size).toBe(120);
    expect((await emu.api('GET', '/api/v4/events?limit=101')).status).toBe(422);
    expect((await emu.api('GET', '/api/v4/events?filter[type][]=lead_added')).json._embedded.events).toHaveLength(100);
  });
});

describe('clock-driven times (control.moveLead / updateLead)', () => {
  it('bumps updated_at by the emulator clock; webhooks carry strictly increasing updated_at/last_modified', async () => {
    await emu.api('POST', '/api/v4/webhooks', { destination: hooks.url, settings: ['status_lead', 'update_lead'] });
    const lead = await newLead();
    const [s1, s2, s3] = await stages(lead.pipeline_id);
    const seq = [s2, s3, s1, 142] as number[];
    for (const s of seq) {
      emu.control.advanceClock(1000);
      emu.control.moveLead(lead.id, lead.pipeline_id, s);
    }
    emu.control.advanceClock(1000);
    emu.control.updateLead(lead.id, { price: 1 });
    const read = (await emu.api('GET', `/api/v4/leads/${lead.id}`)).json;
    expect(read.updated_at).toBe(lead.created_at + 5);
    expect(read.closed_at).toBe(lead.created_at + 4);
    await emu.control.flushWebhooks();
    type Item = Record<string, string>;
    const items = hooks.bodies.flatMap((b) => {
      const leads = (qs.parse(b, { depth: 10 }) as { leads?: Record<string, Record<string, Item>> }).leads ?? {};
      return Object.entries(leads).flatMap(([action, list]) => Object.values(list).map((x): Item => ({ ...x, action })));
    });
    const statusTimes = items.filter((i) => i.action === 'status').map((i) => Number(i.updated_at));
    expect(statusTimes).toEqual([1, 2, 3, 4].map((d) => lead.created_at + d));
    for (const i of items) expect(i.last_modified).toBe(i.updated_at);
    const updates = items.filter((i) => i.action === 'update').map((i) => Number(i.updated_at));
    expect(updates).toEqual([1, 2, 3, 4, 5].map((d) => lead.created_at + d));
    expect(items.filter((i) => i.action === 'status').map((i) => [i.old_status_id, i.status_id])).toEqual([
      [String(lead.status_id), String(s2)],
      [String(s2), String(s3)],
      [String(s3), String(s1)],
      [String(s1), '142'],
    ]);
  });
});
