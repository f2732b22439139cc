// Red-team findings against the webhook receiver: numbers that do not fit are refused at receipt (never acked
// and failed later), one bad delivery never fails another's insert, and no error body carries the secret.
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { webhookDeliveries } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { createInboxWriter } from './inbox-writer.js';
import { createWebhookProcessor } from './processor.js';
import { webhookRoutes } from './routes.js';

const SECRET = 'whsec-hostile-0123456789abcdef';
const ACCOUNT_ID = 31000001;
const FORM = 'application/x-www-form-urlencoded';

let tdb: TestDb;
let app: FastifyInstance;
let failing: FastifyInstance;

beforeAll(async () => {
  tdb = await createTestDb();
  const source = { webhookSecret: SECRET, account: async () => ({ id: ACCOUNT_ID, subdomain: 'asiadeals' }) };
  app = await buildApp({ config: testConfig(), db: tdb, extraRoutes: [() => webhookRoutes({ source, writer: createInboxWriter(tdb.db, 'default') })] });
  // A receiver whose store fails: its 500 must not echo the path either.
  const broken = { write: () => Promise.reject(new Error('disk on fire')), pending: () => 0, lastWriteAt: () => 0 };
  failing = await buildApp({ config: testConfig(), db: tdb, extraRoutes: [() => webhookRoutes({ source, writer: broken })] });
});
afterAll(async () => {
  await app?.close();
  await failing?.close();
  await tdb?.cleanup();
});

const lead = (fields: string, account = String(ACCOUNT_ID)) =>
  `leads[status][0][id]=5001&leads[status][0][status_id]=81&leads[status][0][pipeline_id]=7001${fields}&account[id]=${account}&account[subdomain]=asiadeals`;
const post = (payload: string, url = `/api/webhooks/amo/${SECRET}`) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': FORM }, payload });

describe('webhook values are range-checked at receipt', () => {
  it.each([
    ['a huge last_modified', lead('&leads[status][0][last_modified]=100000000000000000000')],
    ['a last_modified past the year 9999', lead('&leads[status][0][last_modified]=253402300800')],
    ['a lead id of 2^63', lead('').replace('[id]=5001', '[id]=9223372036854775808')],
    ['a fractional account id', lead('', '31000001.5')],
    ['an account id of 2^64', lead('', '18446744073709551616')],
    ['a negative status id', lead('').replace('status_id]=81', 'status_id]=-81')],
  ])('%s → 400 WEBHOOK_OUT_OF_RANGE, kept as malformed, never processed', async (_what, body) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'WEBHOOK_OUT_OF_RANGE' });
    const [row] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    expect(row).toMatchObject({ status: 'malformed', errorCode: 'OUT_OF_RANGE' });
  });

  it('accepts the same delivery with sane values, and the processor applies it', async () => {
    const res = await post(lead('&leads[status][0][last_modified]=1700000000'));
    expect(res.statusCode).toBe(200);
    await createWebhookProcessor({ db: tdb.db, account: 'default' }).drain();
    const [row] = await tdb.db.select().from(webhookDeliveries).orderBy(sql`id desc`).limit(1);
    expect(row?.status).toBe('processed');
  });

  it('150 concurrent deliveries with a few hostile ones: every valid one is acked', async () => {
    const bodies = Array.from({ length: 150 }, (_, i) =>
      i % 25 === 0 ? lead('', '31000001.5') : lead(`&leads[status][0][last_modified]=${1_700_000_000 + i}`).replace('[id]=5001', `[id]=${6000 + i}`),
    );
    const results = await Promise.all(bodies.map((b) => post(b)));
    const valid = results.filter((_, i) => i % 25 !== 0).map((r) => r.statusCode);
    expect(valid).toEqual(valid.map(() => 200));
    expect(results.filter((_, i) => i % 25 === 0).map((r) => r.statusCode)).toEqual([400, 400, 400, 400, 400, 400]);
  });
});

describe('the inbox writer isolates a row the database refuses', () => {
  it('fails only that delivery of a batch', async () => {
    const writer = createInboxWriter(tdb.db, 'default');
    const row = (accountId: number) => ({ status: 'pending' as const, contentType: FORM, body: `b${accountId}`, accountId });
    const writes = [1, 2, 1.5, 3, 4].map((id) => writer.write(row(id)).then(() => 'ok', () => 'failed'));
    expect(await Promise.all(writes)).toEqual(['ok', 'ok', 'failed', 'ok', 'ok']);
  });
});

describe('no error body carries the secret', () => {
  it('a body over the limit with the right secret → 413 without the secret', async () => {
    const res = await post(`a=${'x'.repeat(1024 * 1024 + 10)}`);
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toContain(SECRET);
  });

  it('a body over the limit with a wrong secret → 401 (the secret is checked before the body is read)', async () => {
    const res = await post(`a=${'x'.repeat(2 * 1024 * 1024)}`, '/api/webhooks/amo/not-the-secret');
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain('not-the-secret');
  });

  it('a wrong method on the webhook URL → 404 without the secret', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/webhooks/amo/${SECRET}?x=1` });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain(SECRET);
  });

  it('a failing store → 500 without the secret', async () => {
    const res = await failing.inject({ method: 'POST', url: `/api/webhooks/amo/${SECRET}`, headers: { 'content-type': FORM }, payload: lead('') });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('disk on fire');
  });
});
