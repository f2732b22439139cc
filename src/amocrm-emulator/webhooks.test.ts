import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from './index.js';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

interface Receiver {
  url: string;
  bodies: string[];
  status: number[];
  close(): Promise<void>;
}

/** A real HTTP receiver; answers `statuses` in turn (last one repeats). */
async function receiver(statuses: number[] = [200]): Promise<Receiver> {
  const bodies: string[] = [];
  const seen: number[] = [];
  const server: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      bodies.push(b);
      const s = statuses[Math.min(bodies.length - 1, statuses.length - 1)] ?? 200;
      seen.push(s);
      res.statusCode = s;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/amo/hook?k=secret`, bodies, status: seen, close: () => new Promise((r) => server.close(() => r())) };
}

let emu: TestEmu | undefined;
let rec: Receiver | undefined;
afterEach(async () => {
  await emu?.close();
  await rec?.close();
  emu = undefined;
  rec = undefined;
});
const start = async (o: EmulatorOptions = {}): Promise<TestEmu> => (emu = await startTestEmulator({ webhookGroupMs: 20, ...o }));
const subscribe = (e: TestEmu, destination: string, settings: string[]) => e.api('POST', '/api/v4/webhooks', { destination, settings, sort: 10 });

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('webhook subscriptions', () => {
  it('upserts by exact destination with 201, lists, and deletes with a JSON body (204, then 404)', async () => {
    const e = await start();
    const a = await subscribe(e, 'https://example.test/hook', ['add_lead']);
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ id: expect.any(Number), destination: 'https://example.test/hook', disabled: false, settings: ['add_lead'] });
    const b = await subscribe(e, 'https://example.test/hook', ['status_lead', 'update_lead']);
    expect(b.json.id).toBe(a.json.id);
    const list = await e.api('GET', '/api/v4/webhooks');
    expect(list.json._total_items).toBe(1);
    expect(list.json._embedded.webhooks[0].settings).toEqual(['status_lead', 'update_lead']);
    expect((await e.api('DELETE', '/api/v4/webhooks', { destination: 'https://example.test/hook' })).status).toBe(204);
    expect((await e.api('DELETE', '/api/v4/webhooks', { destination: 'https://example.test/hook' })).status).toBe(404);
  });
});

describe('webhook sender', () => {
  it('sends one action with one item per POST by default, old_* keys only on their own action', async () => {
    rec = await receiver();
    const e = await start();
    await subscribe(e, rec.url, ['add_lead', 'update_lead', 'status_lead', 'add_contact']);
    const res = await e.api('POST', '/api/v4/leads/complex', [{ name: 'One by one', _embedded: { contacts: [{ first_name: 'B' }] } }]);
    const id = res.json[0].id as number;
    await e.control.flushWebhooks();
    e.control.moveLead(id, (await e.api('GET', `/api/v4/leads/${id}`)).json.pipeline_id as number, 142);
    await e.control.flushWebhooks();
    const shapes = rec.bodies.map((b) => {
      const p = qs.parse(b, { depth: 10 }) as Record<string, Record<string, Record<string, unknown>>>;
      const key = Object.keys(p).find((k) => k !== 'account')!;
      const actions = Object.keys(p[key]!);
      return { key, actions, items: Object.keys(p[key]![actions[0]!]!).length, item: p[key]![actions[0]!]!['0'] as Record<string, unknown> };
    });
    expect(shapes.every((s) => s.actions.length === 1 && s.items === 1)).toBe(true);
    expect(shapes.map((s) => `${s.key}.${s.actions[0]}`).sort()).toEqual(['contacts.add', 'leads.add', 'leads.status', 'leads.update']);
    const status = shapes.find((s) => s.actions[0] === 'status')!.item;
    const update = shapes.find((s) => s.key === 'leads' && s.actions[0] === 'update')!.item;
    expect(status).toHaveProperty('old_status_id');
    expect(status).not.toHaveProperty('old_pipeline_id');
    expect(status).not.toHaveProperty('old_responsible_user_id');
    expect(Object.keys(update).filter((k) => k.startsWith('old_'))).toEqual([]);
  });

  it('duplicates and reorders deliveries when asked', async () => {
    rec = await receiver();
    const e = await start({ webhookDuplicates: 0.5, webhookReorderMs: 200, webhookSeed: 7 });
    await subscribe(e, rec.url, ['add_lead']);
    await e.api('POST', '/api/v4/leads', Array.from({ length: 12 }, (_, i) => ({ name: `L${i}` })));
    await e.control.flushWebhooks();
    const ids = rec.bodies.map((b) => Number((qs.parse(b, { depth: 10 }) as { leads: { add: { 0: { id: string } } } }).leads.add[0].id));
    expect(ids.length).toBeGreaterThan(12); // some twice
    expect(new Set(ids).size).toBe(12); // every lead at least once
    expect(ids).not.toEqual([...ids].sort((a, b) => a - b)); // not in creation order
  });

  it('sends form-encoded PHP-style bodies, grouping changes of one window into one delivery', async () => {
    rec = await receiver();
    const e = await start({ webhookGrouping: 'grouped' });
    await subscribe(e, rec.url, ['add_lead', 'status_lead', 'add_contact', 'add_company']);
    const res = await e.api('POST', '/api/v4/leads/complex', [{ name: 'Hook me', price: 10, _embedded: { contacts: [{ first_name: 'A' }], companies: [{ name: 'ACME' }] } }]);
    await e.control.flushWebhooks();
    expect(rec.bodies).toHaveLength(1);
    const body = rec.bodies[0] ?? '';
    expect(body).toContain('leads%5Badd%5D%5B0%5D%5Bid%5D=');
    const parsed = qs.parse(body, { depth: 10 }) as Record<string, any>;
    expect(parsed.leads.add[0]).toMatchObject({ id: String(res.json[0].id), name: 'Hook me', price: '10' });
    const types = (parsed.contacts.add as { type: string }[]).map((c) => c.type).sort();
    expect(types).toEqual(['company', 'contact']);
    expect(parsed.account).toEqual({ subdomain: 'demo', id: String(e.config.accountId), _links: { self: 'https://demo.amocrm.ru' } });

    e.control.moveLead(res.json[0].id, (e.control.state() as any).leads[0].pipeline_id, 142);
    await e.control.flushWebhooks();
    const status = qs.parse(rec.bodies[1] ?? '', { depth: 10 }) as Record<string, any>;
    expect(status.leads.status[0]).toMatchObject({ id: String(res.json[0].id), status_id: '142', old_status_id: expect.any(String) });
    expect(status.leads.update).toBeUndefined();
  });

  it('encodes date custom fields as values[0]=ts and tasks under the singular task key', async () => {
    rec = await receiver();
    const e = await start();
    await subscribe(e, rec.url, ['update_lead', 'add_task']);
    const lead = (await e.api('POST', '/api/v4/leads', [{ name: 'x' }])).json._embedded.leads[0].id;
    const dateField = (e.control.state() as any).custom_fields.find((f: { type: string; entity_type: string }) => f.type === 'date' && f.entity_type === 'leads');
    await e.api('PATCH', `/api/v4/leads/${lead}`, { custom_fields_values: [{ field_id: dateField.id, values: [{ value: 1542067200 }] }] });
    await e.api('POST', '/api/v4/tasks', [{ text: 'Call', complete_till: 1900000000, entity_id: lead, entity_type: 'leads' }]);
    await e.control.flushWebhooks();
    const all = rec.bodies.join('&');
    expect(decodeURIComponent(all)).toContain('leads[update][0][custom_fields][0][values][0]=1542067200');
    expect(decodeURIComponent(all)).toContain('task[add][0][text]=Call');
  });

  it('retries on the amoCRM schedule (scaled) and stops after 5 attempts', async () => {
    rec = await receiver([500]);
    const e = await start({ webhookTimeScale: 0.0005 });
    await subscribe(e, rec.url, ['add_lead']);
    await e.api('POST', '/api/v4/leads', [{ name: 'x' }]);
    await until(() => rec!.bodies.length >= 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.bodies).toHaveLength(5);
    expect(new Set(rec.bodies).size).toBe(1);
    const log = (e.control.state() as any).webhooks.deliveries as { attempt: number; status: string }[];
    expect(log.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(log.at(-1)?.status).toBe('failed');
  });

  it('does not retry 4xx answers past the third attempt', async () => {
    rec = await receiver([404]);
    const e = await start({ webhookTimeScale: 0.0005 });
    await subscribe(e, rec.url, ['add_lead']);
    await e.api('POST', '/api/v4/leads', [{ name: 'x' }]);
    await until(() => rec!.bodies.length >= 3);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rec.bodies).toHaveLength(3);
  });

  it('fires a due retry when the emulator clock is advanced', async () => {
    rec = await receiver([503, 200]);
    const e = await start();
    await subscribe(e, rec.url, ['add_lead']);
    await e.api('POST', '/api/v4/leads', [{ name: 'x' }]);
    await e.control.flushWebhooks();
    expect(rec.bodies).toHaveLength(1);
    e.control.advanceClock(5 * 60_000);
    await e.control.flushWebhooks();
    expect(rec.bodies).toHaveLength(2);
    expect(((e.control.state() as any).webhooks.deliveries as { status: string }[]).map((d) => d.status)).toEqual(['retry_scheduled', 'ok']);
  });

  it('drops the next delivery on request (no retry) so reconciliation can be tested', async () => {
    rec = await receiver();
    const e = await start();
    await subscribe(e, rec.url, ['add_lead']);
    e.control.dropNextWebhooks(1);
    await e.api('POST', '/api/v4/leads', [{ name: 'lost' }]);
    await e.control.flushWebhooks();
    await e.api('POST', '/api/v4/leads', [{ name: 'kept' }]);
    await e.control.flushWebhooks();
    expect(rec.bodies).toHaveLength(1);
    expect(decodeURIComponent(rec.bodies[0] ?? '')).toContain('[name]=kept');
    const events = await e.api('GET', '/api/v4/events?filter[type][]=lead_added');
    expect(events.json._embedded.events).toHaveLength(2);
  });

  it('disables a hook after more than 100 invalid answers in 2 hours', async () => {
    rec = await receiver([500]);
    const e = await start();
    await subscribe(e, rec.url, ['add_lead']);
    for (let i = 0; i < 101; i++) {
      await e.api('POST', '/api/v4/leads', [{ name: `l${i}` }]);
      await e.control.flushWebhooks();
    }
    const hook = (await e.api('GET', '/api/v4/webhooks')).json._embedded.webhooks[0];
    expect(hook.disabled).toBe(true);
    const n = rec.bodies.length;
    await e.api('POST', '/api/v4/leads', [{ name: 'after' }]);
    await e.control.flushWebhooks();
    expect(rec.bodies.length).toBe(n);
    await subscribe(e, rec.url, ['add_lead']);
    expect((await e.api('GET', '/api/v4/webhooks')).json._embedded.webhooks[0].disabled).toBe(false);
  });
});
