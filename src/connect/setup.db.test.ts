// `setup` and `doctor` against an empty emulator account over real HTTP.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import type { CustomField, Pipeline } from '../amocrm/index.js';
import { loadResolvedMap, NOTHING_TO_CHANGE } from '../provision/index.js';
import type { AmoConnection } from './connection.js';
import { connectDoctor } from './doctor.js';
import { getWebhookUrl } from './keys.js';
import { demoSpec } from './sandbox.js';
import { runSetup } from './setup.js';
import { buildApp } from '../../test/app.js';
import type { ConnectRoutesDeps } from './routes.js';
import { createHarness, type Harness } from '../../test/connect.js';

let h: Harness;

/** The app with the connect routes (closed with the harness). */
async function appFor(h: Harness, conn: AmoConnection, extra: Partial<ConnectRoutesDeps> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config: h.config, db: h.tdb, extraRoutes: [(ctx) => h.routes(conn, ctx.requireAdmin, extra)] });
  apps.push(app);
  return app;
}
const apps: FastifyInstance[] = [];
let conn: AmoConnection;
const spec = demoSpec();

beforeAll(async () => {
  h = await createHarness({ config: { webhookSecret: 'whsec-test-0123456789abcdef' } });
  conn = await h.connect();
  await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await h?.close();
});

const account = () => h.emu.control.state() as { pipelines: Pipeline[]; custom_fields: CustomField[]; webhooks: { subscriptions: { destination: string; disabled: boolean; settings: string[] }[] } };

describe('leadbridge setup', () => {
  it('a dry run prints the plan and changes nothing', async () => {
    const out: string[] = [];
    const result = await runSetup({ amo: conn.amo, db: h.tdb, config: h.config, spec, dryRun: true, print: (t) => out.push(t) });
    expect(result.changes).toBe(0);
    expect(result.plan.actions.length).toBeGreaterThan(0);
    expect(out.join('\n')).toContain('create pipeline "Asia Deals" with 7 stages');
    expect(out.join('\n')).toContain('LEADBRIDGE_ID');
    expect(account().pipelines.some((p) => p.name === 'Asia Deals')).toBe(false);
    expect(await loadResolvedMap(h.tdb.db)).toBeNull();
  });

  it('creates the Asia Deals preset, the LEADBRIDGE_ID field and the webhook, and stores the id map', async () => {
    const out: string[] = [];
    const result = await runSetup({ amo: conn.amo, db: h.tdb, config: h.config, spec, print: (t) => out.push(t) });
    expect(result.problems).toEqual([]);
    expect(result.changes).toBeGreaterThan(0);

    const pipeline = account().pipelines.find((p) => p.name === 'Asia Deals');
    expect(pipeline?._embedded.statuses.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Новый лид', 'Первичный контакт', 'Презентация', 'Выбор объекта', 'Резервирование', 'Сделка', 'Завершено']),
    );
    const leadFields = account().custom_fields.filter((f) => f.entity_type === 'leads');
    expect(leadFields.find((f) => f.code === 'LEADBRIDGE_ID')?.type).toBe('text');
    expect(leadFields.find((f) => f.code === 'OBJECT')?.enums?.map((e) => e.value)).toContain('Вилла');

    const url = await getWebhookUrl(h.tdb.db, h.config);
    expect(url).toBe('http://localhost:8000/api/webhooks/amo/whsec-test-0123456789abcdef');
    const sub = account().webhooks.subscriptions.find((w) => w.destination === url);
    expect(sub?.disabled).toBe(false);
    expect(out.join('\n')).toContain(url);

    const map = await loadResolvedMap(h.tdb.db);
    expect(map?.pipelines.asia_deals?.id).toBe(pipeline?.id);
    expect(map?.pipelines.asia_deals?.stages.new_lead).toBeTypeOf('number');
    expect(map?.fields.leads.leadbridge_id?.code).toBe('LEADBRIDGE_ID');
    expect(map?.fields.leads.object?.enums['Вилла']).toBeTypeOf('number');
  });

  it('a second run changes nothing and says so', async () => {
    const before = JSON.stringify({ p: account().pipelines, f: account().custom_fields, w: account().webhooks.subscriptions });
    const out: string[] = [];
    const result = await runSetup({ amo: conn.amo, db: h.tdb, config: h.config, spec, print: (t) => out.push(t) });
    expect(result.changes).toBe(0);
    expect(out.join('\n')).toContain(NOTHING_TO_CHANGE);
    expect(JSON.stringify({ p: account().pipelines, f: account().custom_fields, w: account().webhooks.subscriptions })).toBe(before);
  });
});

describe('leadbridge doctor', () => {
  it('passes on the set-up account', async () => {
    const report = await connectDoctor({ config: h.config, db: h.tdb, conn, spec, queueDepth: async () => 0 });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.text).toContain('✓ amoCRM connection');
    expect(report.text).toContain('webhook subscription');
  });

  it('finds a deleted field and a disabled webhook, and says how to fix each', async () => {
    const field = account().custom_fields.find((f) => f.code === 'OBJECT_COST');
    h.emu.control.deleteField('leads', field?.id ?? -1);
    h.emu.control.setWebhookDisabled(await getWebhookUrl(h.tdb.db, h.config), true);
    const report = await connectDoctor({ config: h.config, db: h.tdb, conn, spec });
    expect(report.ok).toBe(false);
    const failed = Object.fromEntries(report.results.filter((r) => !r.ok).map((r) => [r.name, r]));
    expect(Object.keys(failed).sort()).toEqual(['field leads.object_cost', 'webhook subscription']);
    expect(failed['field leads.object_cost']?.fix).toContain('leadbridge setup');
    expect(failed['webhook subscription']?.detail).toContain('disabled');
    expect(failed['webhook subscription']?.fix).toContain('reachable');
    expect(report.text).toMatch(/✗ field leads\.object_cost[^\n]*\n[^\n]*→ fix: run `leadbridge setup`/);
    // The doctor's advice works: setup repairs both.
    await runSetup({ amo: conn.amo, db: h.tdb, config: h.config, spec });
    expect((await connectDoctor({ config: h.config, db: h.tdb, conn, spec })).ok).toBe(true);
  });

  it('finds an expired token and says how to fix it; GET /api/admin/doctor serves the same (admin only)', async () => {
    const { access_token } = await h.emu.control.issueLongLivedToken({ ttlSec: 3600 });
    const expiring = await h.connect({ id: 'expired' });
    await expiring.store.connect({
      host: 'demo.amocrm.ru',
      accountId: 31000001,
      tokens: { accessToken: access_token, refreshToken: null, expiresAt: h.clock.now + 3600_000, kind: 'long_lived' },
    });
    h.clock.now += 2 * 3600_000;
    try {
      const report = await connectDoctor({ config: h.config, db: h.tdb, conn: expiring, spec });
      const token = report.results.find((r) => r.name === 'token expiry');
      expect(token).toMatchObject({ ok: false });
      expect(token?.detail).toContain('expired');
      expect(token?.fix).toContain('AMOCRM_LONG_LIVED_TOKEN');
      expect(report.results.find((r) => r.name === 'amoCRM account')).toMatchObject({ ok: false });

      const app = await appFor(h, expiring, { doctor: () => connectDoctor({ config: h.config, db: h.tdb, conn: expiring, spec }) });
      expect((await app.inject({ method: 'GET', url: '/api/admin/doctor' })).statusCode).toBe(401);
      const res = await app.inject({ method: 'GET', url: '/api/admin/doctor', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.ok).toBe(false);
      expect(body.checks.find((c: { name: string }) => c.name === 'amoCRM connection')).toMatchObject({ ok: false });
      expect(res.body).not.toContain(access_token);
    } finally {
      h.clock.now = Date.now();
    }
  });
});
