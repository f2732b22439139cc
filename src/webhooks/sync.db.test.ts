// End to end against the amoCRM emulator over real HTTP: the emulator fires real form-encoded webhooks at a
// listening Leadbridge app; the processor applies them; reconciliation repairs what was dropped.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { AmoClient, MemoryTokenStore, tokenSetFromResponse } from '../amocrm/index.js';
import { ProvisionSpecSchema } from '../provision/index.js';
import { amoDeals, domainEvents, webhookDeliveries, webhookEventKeys } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { applyProvision, loadSnapshot, planProvision, provisionApiFromClient, type ResolvedMap } from '../provision/index.js';
import { dealFieldMapFromResolved, mappedNumber, mappedText } from './fields.js';
import { dealView } from './deal-view.js';
import { stageHistory } from './stage-history.js';
import { reconcileOnce } from './reconcile.js';
import { createWebhookSync, type WebhookSync } from './sync.js';

const SECRET = 'e2e-webhook-secret-0123456789';
const asia = ProvisionSpecSchema.parse((parse(readFileSync(new URL('../../presets/asia-deals.yaml', import.meta.url), 'utf8')) as { account: unknown }).account);

let emu: RunningEmulator;
let tdb: TestDb;
let app: FastifyInstance;
let amo: AmoClient;
let sync: WebhookSync;
let resolved: ResolvedMap;
let hookUrl: string;
let pipelineId: number;
let stages: number[];

beforeAll(async () => {
  emu = await startEmulator({ port: 0, logger: false, rateLimit: false, webhookGroupMs: 10 });
  tdb = await createTestDb();
  const tokens = new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens({ admin: true }), Date.now()));
  amo = new AmoClient({
    domain: emu.config.domain,
    baseUrl: emu.url,
    oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
    tokens,
  });
  const fieldMap = { current: dealFieldMapFromResolved(null) };
  sync = createWebhookSync({
    db: tdb.db,
    account: 'default',
    source: { webhookSecret: SECRET, account: async () => ({ id: emu.config.accountId, subdomain: emu.config.subdomain }), amo },
    fieldMap: async () => fieldMap.current,
  });
  app = await buildApp({ config: testConfig(), db: tdb, extraRoutes: [sync.routes] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/webhooks/amo/${SECRET}`;
  // The Asia Deals pipeline (seven stages), its fields and our webhook subscription, through provisioning.
  const api = provisionApiFromClient(amo);
  resolved = (await applyProvision(api, planProvision(asia, await loadSnapshot(api), { webhookUrl: hookUrl }))).resolved;
  fieldMap.current = dealFieldMapFromResolved(resolved);
  const p = resolved.pipelines.asia_deals;
  if (!p) throw new Error('pipeline not provisioned');
  pipelineId = p.id;
  stages = Object.values(p.stages);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await emu?.close();
  await tdb?.cleanup();
});

/** Let the emulator send what it has, then apply everything stored. */
async function settle(): Promise<void> {
  await emu.control.flushWebhooks();
  await sync.processor.drain();
}
const deal = async (id: number) => (await tdb.db.select().from(amoDeals).where(eq(amoDeals.amoLeadId, id)))[0];
const eventTypes = async (id: number) =>
  (await tdb.db.select().from(domainEvents).where(eq(domainEvents.amoLeadId, id)).orderBy(asc(domainEvents.id))).map((e) => e.type);
const emuLead = (id: number) =>
  (emu.control.state().leads as { id: number; updated_at: number; status_id: number }[]).find((l) => l.id === id) as { id: number; updated_at: number; status_id: number };
async function createLead(name: string): Promise<number> {
  const [r] = await amo.leads.create([{ name, pipeline_id: pipelineId, status_id: stages[0] as number, price: 120000 }]);
  if (!r) throw new Error('no lead');
  await settle();
  return r.id;
}

describe('webhooks from the emulator', () => {
  it('records every transition of a deal moved through all seven Asia Deals stages, with amoCRM times', async () => {
    expect(stages).toHaveLength(7);
    const id = await createLead('Villa Phuket');
    const times = [emuLead(id).updated_at];
    for (const s of stages.slice(1)) {
      emu.control.advanceClock(3_600_000);
      emu.control.moveLead(id, pipelineId, s);
      times.push(emuLead(id).updated_at);
      await settle();
    }
    const cost = resolved.fields.leads.object_cost?.id as number;
    const pay = resolved.fields.leads.payment_status;
    emu.control.updateLead(id, {
      custom_fields_values: [
        { field_id: cost, values: [{ value: 450000 }] },
        { field_id: resolved.fields.leads.commission?.id as number, values: [{ value: 13500 }] },
        { field_id: pay?.id as number, values: [{ enum_id: pay?.enums['Оплачено полностью'] as number }] },
      ],
    });
    emu.control.advanceClock(3_600_000);
    emu.control.moveLead(id, pipelineId, 142);
    times.push(emuLead(id).updated_at);
    await settle();

    const history = await stageHistory(tdb.db, 'default', id);
    expect(history.map((h) => h.statusId)).toEqual([...stages, 142]);
    expect(history.map((h) => h.enteredAt.getTime() / 1000)).toEqual(times);
    expect(history.slice(0, 7).map((h) => h.seconds)).toEqual(times.slice(1).map((t, i) => t - (times[i] as number)));
    expect(history.at(-1)?.leftAt).toBeNull();
    const won = await deal(id);
    expect(won).toMatchObject({ pipelineId, statusId: 142, isWon: true, price: 120000 });
    // The business fields are mapped fields, read by their config key.
    const f = won?.fields ?? {};
    expect({ objectCost: mappedNumber(f, 'object_cost'), commission: mappedNumber(f, 'commission'), paymentStatus: mappedText(f, 'payment_status') }).toEqual({
      objectCost: 450000,
      commission: 13500,
      paymentStatus: 'Оплачено полностью',
    });
    const types = await eventTypes(id);
    expect(types.filter((t) => t === 'deal.stage_changed')).toHaveLength(7);
    expect(types).toContain('deal.won');

    // The admin API's view of the same deal (embedded in GET /api/leads/:id).
    const view = await dealView(tdb.db, 'default', id);
    expect(view).toMatchObject({ pipeline_id: pipelineId, status_id: 142, is_won: true, is_lost: false, is_deleted: false });
    expect(view?.stages.map((s) => s.status_id)).toEqual([...stages, 142]);
    expect(view?.stages.map((s) => Date.parse(s.entered_at) / 1000)).toEqual(times);
  });

  it('applies a repeated delivery of the same body once', async () => {
    const id = await createLead('Condo Bali');
    emu.control.advanceClock(60_000);
    emu.control.moveLead(id, pipelineId, stages[1] as number);
    await settle();
    const [last] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    const before = await eventTypes(id);
    const res = await fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: last?.body });
    expect(res.status).toBe(200);
    await sync.processor.drain();
    const [again] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    expect(again?.status).toBe('duplicate');
    expect(await eventTypes(id)).toEqual(before);
    expect((await stageHistory(tdb.db, 'default', id)).map((h) => h.statusId)).toEqual([stages[0], stages[1]]);
  });

  it('repairs a dropped delivery through reconciliation (state and history at the right time)', async () => {
    const id = await createLead('Townhouse Pattaya');
    await sync.reconcile(); // sets the cursor past everything so far
    emu.control.advanceClock(60_000);
    emu.control.dropNextWebhooks(2); // the move's leads[update] and leads[status] deliveries (one action per POST)
    emu.control.moveLead(id, pipelineId, stages[2] as number);
    const movedAt = emuLead(id).updated_at;
    await settle();
    expect((await deal(id))?.statusId).toBe(stages[0]);

    const result = await sync.reconcile();
    expect(result.repaired).toBeGreaterThan(0);
    expect(await deal(id)).toMatchObject({ statusId: stages[2], amoUpdatedAt: new Date(movedAt * 1000) });
    const history = await stageHistory(tdb.db, 'default', id);
    expect(history.map((h) => [h.statusId, h.enteredAt.getTime() / 1000])).toEqual([
      [stages[0], expect.any(Number)],
      [stages[2], movedAt],
    ]);
    expect(history[1]?.source).toBe('reconcile');
    expect(await eventTypes(id)).toContain('deal.stage_changed');
    // A second run finds nothing new, and prunes old dedupe keys and old processed bodies (keeps malformed).
    const old = new Date(Date.now() - 40 * 86_400_000);
    await tdb.db.insert(webhookEventKeys).values({ key: 'old-key', appliedAt: old });
    await tdb.db.insert(webhookDeliveries).values([
      { status: 'processed', body: 'old', bodyHash: 'x', receivedAt: old },
      { status: 'malformed', body: 'old bad', bodyHash: 'y', receivedAt: old },
    ]);
    expect((await sync.reconcile()).repaired).toBe(0);
    expect(await tdb.db.select().from(webhookEventKeys).where(eq(webhookEventKeys.key, 'old-key'))).toHaveLength(0);
    expect((await tdb.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.receivedAt, old))).map((d) => d.status)).toEqual(['malformed']);
  });

  it('ends in the right state when real deliveries arrive out of order', async () => {
    const id = await createLead('Land Samui');
    emu.control.dropNextWebhooks(2);
    emu.control.advanceClock(60_000);
    emu.control.moveLead(id, pipelineId, stages[1] as number);
    await emu.control.flushWebhooks();
    emu.control.advanceClock(60_000);
    emu.control.moveLead(id, pipelineId, stages[2] as number);
    await emu.control.flushWebhooks();
    const deliveries = (emu.control.state().webhooks as { deliveries: { status: string; body: string }[] }).deliveries;
    const dropped = deliveries.filter((d) => d.status === 'dropped').slice(-2);
    expect(dropped).toHaveLength(2);
    for (const d of [...dropped].reverse()) {
      const res = await fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: d.body });
      expect(res.status).toBe(200);
    }
    await sync.processor.drain();
    expect(await deal(id)).toMatchObject({ statusId: stages[2], amoUpdatedAt: new Date(emuLead(id).updated_at * 1000) });
    const history = await stageHistory(tdb.db, 'default', id);
    expect(history.map((h) => h.statusId)).toEqual([stages[0], stages[1], stages[2]]);
    expect(history.map((h) => (h.leftAt ? h.leftAt.getTime() : null))).toEqual([history[1]?.enteredAt.getTime(), history[2]?.enteredAt.getTime(), null]);
  });

  it('a repeated reconciliation with nothing missed repairs 0 and never warns (jsonb key order)', async () => {
    // Mapped fields with keys of different lengths: PostgreSQL's jsonb stores them shortest first, so the row read
    // back has another key order than the observation built from amoCRM's answer.
    const f = resolved.fields.leads;
    const pay = f.payment_status;
    const obj = f.object;
    const [r] = await amo.leads.create([
      {
        name: 'Condo Bangkok',
        pipeline_id: pipelineId,
        status_id: stages[1] as number,
        price: 99000,
        custom_fields_values: [
          { field_id: f.utm_campaign?.id as number, values: [{ value: 'asia_deals_test' }] },
          { field_id: f.object_cost?.id as number, values: [{ value: 310000 }] },
          { field_id: pay?.id as number, values: [{ enum_id: pay?.enums['Депозит внесён'] as number }] },
          { field_id: obj?.id as number, values: [{ enum_id: obj?.enums['Кондо'] as number }] },
        ],
      },
    ]);
    if (!r) throw new Error('no lead');
    await settle();
    expect(Object.keys((await deal(r.id))?.fields ?? {}).length).toBeGreaterThan(2);
    const warnings: string[] = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (_o: object, msg: string) => void warnings.push(msg) };
    const fieldMap = dealFieldMapFromResolved(resolved);
    const run = () => reconcileOnce({ db: tdb.db, account: 'default', amo, webhookSecret: SECRET, webhookUrl: hookUrl, fieldMap, logger, since: emuLead(r.id).updated_at - 5 });
    for (let i = 0; i < 3; i++) {
      const result = await run();
      expect(result.leads).toBeGreaterThan(0);
      expect(result.repaired).toBe(0);
    }
    expect(warnings).toEqual([]);
  });

  it('re-subscribes the webhook when amoCRM has disabled it', async () => {
    emu.control.setWebhookDisabled(hookUrl, true);
    const result = await sync.reconcile();
    expect(result.resubscribed).toEqual([hookUrl.replace(SECRET, '***')]);
    const subs = await amo.webhooks.list();
    expect(subs.find((w) => w.destination === hookUrl)?.disabled).toBe(false);
  });
});
