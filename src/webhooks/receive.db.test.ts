// Receiving and applying over real HTTP (no amoCRM needed): secret, account check, malformed bodies, dedupe,
// out-of-order deliveries, deletes/restores, contacts, and the link to our own `leads` row.
import type { FastifyInstance } from 'fastify';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { encodeWebhookBody, type HookItem } from '../amocrm/webhooks/index.js';
import { amoContacts, amoDeals, domainEvents, leads, webhookDeliveries } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { mappedNumber, mappedText } from './fields.js';
import { createWebhookProcessor, type WebhookProcessor } from './processor.js';
import { createInboxWriter } from './inbox-writer.js';
import { webhookRoutes } from './routes.js';
import { stageHistory } from './stage-history.js';

const SECRET = 'whsec-0123456789abcdef';
const ACCOUNT = { id: 31000001, subdomain: 'asiadeals', self: 'https://asiadeals.amocrm.ru' };
const PIPE = 7001;
const [S1, S2, S3] = [81, 82, 83];

let tdb: TestDb;
let app: FastifyInstance;
let base: string;
let processor: WebhookProcessor;

beforeAll(async () => {
  tdb = await createTestDb();
  processor = createWebhookProcessor({ db: tdb.db, account: 'default', fieldMap: { byKey: { object_cost: 501, commission: 502, payment_status: 503 } } });
  app = await buildApp({
    config: testConfig(),
    db: tdb,
    extraRoutes: [
      () => webhookRoutes({ writer: createInboxWriter(tdb.db, 'default'), source: { webhookSecret: SECRET, account: async () => ({ id: ACCOUNT.id, subdomain: ACCOUNT.subdomain }) } }),
    ],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

const FORM = 'application/x-www-form-urlencoded';
async function post(path: string, body: string, type = FORM, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const hook = (items: HookItem[], account = ACCOUNT) => encodeWebhookBody(items, account);
const leadItem = (action: string, id: number, statusId: number, at: number, extra: Record<string, unknown> = {}): HookItem => ({
  key: 'leads',
  action,
  fields: { id, name: `Deal ${id}`, status_id: statusId, pipeline_id: PIPE, price: 1000, responsible_user_id: 5, last_modified: at, created_at: 1_700_000_000, updated_at: at, account_id: ACCOUNT.id, ...extra },
});
const count = async (status?: string) =>
  (await tdb.db.select({ n: sql<number>`count(*)::int` }).from(webhookDeliveries).where(status ? eq(webhookDeliveries.status, status as 'pending') : sql`true`))[0]?.n ?? 0;
const deal = async (id: number) => (await tdb.db.select().from(amoDeals).where(eq(amoDeals.amoLeadId, id)))[0];
const eventsOf = async (id: number) =>
  (await tdb.db.select().from(domainEvents).where(eq(domainEvents.amoLeadId, id)).orderBy(asc(domainEvents.id))).map((e) => e.type);

describe('receiving', () => {
  it('answers 401 to a missing or wrong secret and stores nothing', async () => {
    const before = await count();
    const body = hook([leadItem('add', 1, S1, 1_700_000_100)]);
    expect((await post('/api/webhooks/amo', body)).status).toBe(401);
    expect((await post('/api/webhooks/amo/wrong-secret', body)).status).toBe(401);
    const bad = await post('/api/webhooks/amo?secret=nope', body);
    expect(bad).toMatchObject({ status: 401, json: { code: 'WEBHOOK_SECRET_INVALID' } });
    expect(JSON.stringify(bad.json)).not.toContain('nope');
    expect(await count()).toBe(before);
  });

  it('is listed in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/webhooks/amo', '/api/webhooks/amo/{secret}']));
  });

  it('accepts the secret in the path, the query and the X-Webhook-Secret header', async () => {
    const body = hook([leadItem('add', 2, S1, 1_700_000_100)]);
    expect((await post(`/api/webhooks/amo/${SECRET}`, body)).status).toBe(200);
    expect((await post(`/api/webhooks/amo?secret=${SECRET}`, body)).status).toBe(200);
    const res = await post('/api/webhooks/amo', body, FORM, { 'x-webhook-secret': SECRET });
    expect(res).toMatchObject({ status: 200, json: { status: 'accepted', events: 1 } });
  });

  it('accepts the seed guide\'s "Test 3" JSON body (no account block) and tracks the deal', async () => {
    const res = await post(`/api/webhooks/amo?secret=${SECRET}`, '{"leads":{"add":[{"id":123,"name":"Тестовая сделка"}]}}', 'application/json');
    expect(res.status).toBe(200);
    await processor.drain();
    expect(await deal(123)).toMatchObject({ amoLeadId: 123, name: 'Тестовая сделка', isDeleted: false });
  });

  it('rejects a body from another account with 403 and keeps it as rejected, never applied', async () => {
    const other = { id: 999, subdomain: 'someoneelse', self: 'https://someoneelse.amocrm.ru' };
    const res = await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('add', 3, S1, 1_700_000_100)], other));
    expect(res).toMatchObject({ status: 403, json: { code: 'ACCOUNT_MISMATCH' } });
    const [row] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    expect(row).toMatchObject({ status: 'rejected', errorCode: 'ACCOUNT_MISMATCH', accountId: 999 });
    await processor.drain();
    expect(await deal(3)).toBeUndefined();
  });

  it('answers 400 with a reason code to a malformed body and keeps the raw body', async () => {
    const res = await post(`/api/webhooks/amo/${SECRET}`, '{"leads": [broken', 'application/json');
    expect(res).toMatchObject({ status: 400, json: { code: 'WEBHOOK_MALFORMED' } });
    const [row] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    expect(row).toMatchObject({ status: 'malformed', errorCode: 'MALFORMED', body: '{"leads": [broken' });
    expect((await post(`/api/webhooks/amo/${SECRET}`, 'hello', 'text/plain')).json).toMatchObject({ code: 'WEBHOOK_UNSUPPORTED_CONTENT_TYPE' });
    expect((await post(`/api/webhooks/amo/${SECRET}`, '', FORM)).status).toBe(400);
  });

  it('answers 400 to NUL characters (raw, %00 or \\u0000) and keeps the raw body, the byte shown as U+FFFD', async () => {
    const raw = 'leads[add][0][id]=5&leads[add][0][name]=a\u0000b';
    for (const [body, ct] of [[raw, FORM], ['leads[add][0][id]=6&leads[add][0][name]=a%00b', FORM], ['{"leads":{"add":[{"id":7,"name":"a\\u0000b"}]}}', 'application/json']] as const) {
      const res = await post(`/api/webhooks/amo/${SECRET}`, body, ct);
      expect(res).toMatchObject({ status: 400, json: { code: 'WEBHOOK_MALFORMED' } });
    }
    const rows = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(3);
    expect(rows.map((r) => r.status)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(rows[2]?.body).toBe(raw.replace('\u0000', '\uFFFD'));
    await processor.drain();
    for (const id of [5, 6, 7]) expect(await deal(id)).toBeUndefined();
  });
});

describe('applying', () => {
  it('applies the same delivery once; a body repeating an event applies only the new one', async () => {
    const body = hook([leadItem('status', 10, S2, 1_700_001_000, { old_status_id: S1 })]);
    await post(`/api/webhooks/amo/${SECRET}`, body);
    await post(`/api/webhooks/amo/${SECRET}`, body);
    await processor.drain();
    const rows = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(2);
    expect(rows.map((r) => r.status).sort()).toEqual(['duplicate', 'processed']);
    const mixed = hook([leadItem('status', 10, S2, 1_700_001_000, { old_status_id: S1 }), leadItem('status', 10, S3, 1_700_001_060, { old_status_id: S2 })]);
    await post(`/api/webhooks/amo/${SECRET}`, mixed);
    await processor.drain();
    const [last] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    expect(last).toMatchObject({ status: 'processed', eventCount: 2, appliedCount: 1 });
    expect(await eventsOf(10)).toEqual(['deal.created', 'deal.stage_changed']);
    expect(await deal(10)).toMatchObject({ statusId: S3 });
  });

  it('keeps the newest state and a correct history when deliveries arrive out of order', async () => {
    const t = 1_700_002_000;
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('add', 20, S1, t)]));
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('status', 20, S3, t + 200, { old_status_id: S2, price: 3000 })]));
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('status', 20, S2, t + 100, { old_status_id: S1, price: 2000 })]));
    await processor.drain();
    expect(await deal(20)).toMatchObject({ statusId: S3, price: 3000, amoUpdatedAt: new Date((t + 200) * 1000) });
    const history = await stageHistory(tdb.db, 'default', 20);
    expect(history.map((h) => [h.statusId, h.enteredAt.getTime() / 1000, h.leftAt ? h.leftAt.getTime() / 1000 : null])).toEqual([
      [S1, t, t + 100],
      [S2, t + 100, t + 200],
      [S3, t + 200, null],
    ]);
    expect(history.map((h) => h.seconds).slice(0, 2)).toEqual([100, 100]);
  });

  it('maps custom fields, keeps raw values, marks won/lost, deletes and restores', async () => {
    const t = 1_700_003_000;
    const cf = {
      custom_fields: [
        { id: 501, name: 'Стоимость объекта', values: [{ value: '250000' }] },
        { id: 502, name: 'Комиссия', values: [{ value: '7500' }] },
        { id: 503, name: 'Статус оплаты', values: [{ value: 'Депозит внесён', enum: 9001 }] },
        { id: 777, name: 'Other', values: [{ value: 'kept' }] },
      ],
    };
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('update', 30, S1, t, cf)]));
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('status', 30, 142, t + 10, { old_status_id: S1 })]));
    await processor.drain();
    const d = await deal(30);
    expect(d).toMatchObject({ isWon: true, isLost: false, statusId: 142 });
    const f = d?.fields ?? {};
    expect({ objectCost: mappedNumber(f, 'object_cost'), commission: mappedNumber(f, 'commission'), paymentStatus: mappedText(f, 'payment_status') }).toEqual({
      objectCost: 250000,
      commission: 7500,
      paymentStatus: 'Депозит внесён',
    });
    expect(d?.closedAt?.getTime()).toBe((t + 10) * 1000);
    expect(d?.customFields['777']).toMatchObject({ values: [{ value: 'kept' }] });
    expect(d?.fields).toMatchObject({ object_cost: '250000', payment_status: 'Депозит внесён' });

    await post(`/api/webhooks/amo/${SECRET}`, hook([{ key: 'leads', action: 'delete', fields: { id: 30, status_id: 142, pipeline_id: PIPE } }]));
    await processor.drain();
    expect(await deal(30)).toMatchObject({ isDeleted: true });
    const restoreAt = Math.floor(Date.now() / 1000) + 5;
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('restore', 30, 142, restoreAt)]));
    await processor.drain();
    expect(await deal(30)).toMatchObject({ isDeleted: false });
    expect(await eventsOf(30)).toEqual(['deal.created', 'deal.stage_changed', 'deal.won', 'deal.deleted', 'deal.restored']);
  });

  it('moves a stage entry back in time when an earlier observation of the same stage arrives late', async () => {
    const t = 1_700_006_000;
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('add', 60, S1, t)]));
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('update', 60, S2, t + 300)]));
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('status', 60, S2, t + 120, { old_status_id: S1 })]));
    await processor.drain();
    const history = await stageHistory(tdb.db, 'default', 60);
    expect(history.map((h) => [h.statusId, h.enteredAt.getTime() / 1000])).toEqual([
      [S1, t],
      [S2, t + 120],
    ]);
    expect(history[0]?.leftAt?.getTime()).toBe((t + 120) * 1000);
  });

  it('stores every one of many concurrent deliveries (group commit) with its own id', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => hook([leadItem('add', 10_000 + i, S1, 1_700_007_000)]));
    const answers = await Promise.all(bodies.map((b) => post(`/api/webhooks/amo/${SECRET}`, b)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.json.delivery_id)).size).toBe(40);
    await processor.drain();
    const n = (await tdb.db.select({ n: sql<number>`count(*)::int` }).from(amoDeals).where(sql`amo_lead_id between 10000 and 10039`))[0]?.n;
    expect(n).toBe(40);
  });

  it('never lets an older update overwrite newer state', async () => {
    const t = 1_700_004_000;
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('responsible', 40, S1, t + 50, { responsible_user_id: 7, old_responsible_user_id: 5 })]));
    await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('update', 40, S1, t, { responsible_user_id: 5, price: 1 })]));
    await processor.drain();
    expect(await deal(40)).toMatchObject({ responsibleUserId: 7, price: 1000 });
  });

  it('links a deal to our leads row and applies contacts, with the processor loop woken on insert', async () => {
    const [ours] = await tdb.db.insert(leads).values({ formKey: 'asia-deals', amoLeadId: 50, status: 'delivered' }).returning();
    const loop = createWebhookProcessor({ db: tdb.db, account: 'default', pollMs: 50 });
    loop.start();
    try {
      const contact: HookItem = { key: 'contacts', action: 'add', fields: { id: 900, name: 'Иван', type: 'contact', responsible_user_id: 5, linked_leads_id: { 50: { ID: 50 } }, updated_at: 1_700_005_000 } };
      await post(`/api/webhooks/amo/${SECRET}`, hook([leadItem('add', 50, S1, 1_700_005_000), contact]));
      await expect.poll(async () => (await deal(50))?.leadId, { timeout: 10_000 }).toBe(ours?.id);
      const [c] = await tdb.db.select().from(amoContacts).where(eq(amoContacts.amoContactId, 900));
      expect(c).toMatchObject({ kind: 'contact', leadIds: [50] });
    } finally {
      await loop.stop();
    }
  });
});
