// Operating it (issue #9): a failed lead shows (named field, a warn line with its id, /health degraded, /metrics
// gauge); amoCRM unreachable is one line per change (not a flood), shown by /health, with recovery logged once;
// /health's queue depth counts the leads not yet delivered. The whole server (startServer) over real HTTP, on PGlite
// or TEST_DATABASE_URL's PostgreSQL, against the built-in amoCRM emulator.
import { mkdtempSync } from 'node:fs';
import { createServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDb, pgliteDump, type TestDb } from '../../test/db.js';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { startServer, type Server } from '../main.js';
import { loadResolvedMap } from '../provision/index.js';
import { freePort } from '../../test/net.js';

const ADMIN = 'test-admin-token-0123456789';
const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const json = { 'content-type': 'application/json' };
const admin = { authorization: `Bearer ${ADMIN}` };
type Line = { level: number; msg: string; [k: string]: unknown };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});


/** startServer with a fresh data dir (PGlite from the migrated dump, or a PostgreSQL test database) and a log recorder. */
async function start(env: Record<string, string>): Promise<{ server: Server; base: string; lines: Line[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-ops-health-'));
  const dbEnv: Record<string, string> = {};
  if (process.env.TEST_DATABASE_URL) {
    const tdb: TestDb = await createTestDb();
    cleanups.push(() => tdb.cleanup());
    dbEnv.DATABASE_URL = tdb.url as string;
  } else {
    const seed = await PGlite.create(join(dir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
  }
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
  const port = await freePort();
  const server = await startServer({
    env: {
      ...dbEnv,
      LEADBRIDGE_DATA_DIR: dir,
      LEADBRIDGE_CONFIG: join(dir, 'none.yaml'),
      LEADBRIDGE_EMULATOR_PORT: '0',
      LEADBRIDGE_SMTP_CATCHER_PORT: '0',
      LEADBRIDGE_WHATSAPP_EMULATOR_PORT: '0',
      LEADBRIDGE_ADMIN_TOKEN: ADMIN,
      LEADBRIDGE_RECONCILE_CRON: 'off',
      PORT: String(port),
      LEADBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
    logger,
    port,
    host: '127.0.0.1',
  });
  cleanups.push(() => server.close());
  return { server, base: `http://127.0.0.1:${port}`, lines };
}

async function until<T>(f: () => Promise<T | undefined | null | false>, what: string, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const getJson = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as any };
};

describe('a failed lead shows', () => {
  it('names the deleted field by key and name, warns with the lead id, degrades /health and counts in /metrics', async () => {
    const { server, base, lines } = await start({ LEADBRIDGE_CONFIG: repo('presets/asia-deals.yaml') });
    const emu = server.connect.sandbox?.emulator;
    if (!emu) throw new Error('not in the sandbox');
    const resolved = await until(async () => (await loadResolvedMap(server.db.db))?.fields.leads.object, 'the demo account provisioned');
    expect((await getJson(`${base}/health`)).body.status).toBe('ok');
    // Someone deletes «Объект» in amoCRM; the next lead that fills it is refused.
    emu.control.deleteField('leads', resolved.id);

    const phone = '+79001234568';
    const res = await fetch(`${base}/api/leads`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Анна Петрова', phone, object: 'Вилла' }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const lead = await until(async () => {
      const v = (await getJson(`${base}/api/leads/${id}`, admin)).body;
      return v.status === 'failed' ? v : undefined;
    }, 'the lead to fail');
    expect(lead.last_error.message).toContain(`field "object" (Объект, id ${resolved.id}) on the deal`);
    expect(lead.last_error.fields).toEqual([expect.objectContaining({ key: 'object', name: 'Объект', entity: 'leads', field_id: resolved.id })]);

    const warn = lines.find((l) => l.level === 40 && l.leadId === id);
    expect(warn?.msg).toContain('field "object" (Объект');
    expect(warn?.msg).toContain(`POST /api/admin/leads/${id}/replay`);
    expect(warn).toMatchObject({ status: 'failed', reason: 'validation' });
    const logged = JSON.stringify(lines);
    for (const pii of [phone, '79001234568', 'Анна Петрова']) expect(logged).not.toContain(pii);

    const health = await getJson(`${base}/health`);
    expect(health.status).toBe(200); // degraded is still 200 (503 only when the database is down)
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.delivery).toMatchObject({ ok: false, failed: 1, dead: 0 });
    expect(health.body.reasons).toEqual([expect.stringMatching(/^delivery: 1 failed and 0 dead lead\(s\) need a person/)]);
    const metrics = await (await fetch(`${base}/metrics`, { headers: admin })).text();
    expect(metrics).toMatch(/^leadbridge_leads\{status="failed"\} 1$/m);
    expect(metrics).toMatch(/^leadbridge_leads\{status="dead"\} 0$/m);
    expect(metrics).toMatch(/^leadbridge_leads\{status="delivered"\} 0$/m);

    // Fixed (setup recreates the field), replayed, delivered: /health is ok again and the gauge is back to 0.
    await fetch(`${base}/api/admin/leads/${id}/replay`, { method: 'POST', headers: admin });
    await until(async () => (await getJson(`${base}/api/leads/${id}`, admin)).body.status === 'failed', 'the replayed lead to fail again (field still gone)');
    const { runSetup } = await import('../connect/setup.js');
    await runSetup({ amo: server.connect.conn.amo, db: server.db, config: server.config, ...(server.config.account ? { spec: server.config.account } : {}) });
    await fetch(`${base}/api/admin/leads/${id}/replay`, { method: 'POST', headers: admin });
    await until(async () => (await getJson(`${base}/api/leads/${id}`, admin)).body.status === 'delivered', 'the lead delivered after setup');
    expect((await getJson(`${base}/health`)).body.status).toBe('ok');
    expect(await (await fetch(`${base}/metrics`, { headers: admin })).text()).toMatch(/^leadbridge_leads\{status="failed"\} 0$/m);
  }, 240_000);
});

describe('amoCRM unreachable', () => {
  let emu: RunningEmulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it('logs once per change, backs off, /health says unreachable and counts the pending leads; recovery is logged once', async () => {
    emu = await startEmulator({ port: 0, logger: false, rateLimit: false });
    const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
    // amoCRM's address answers nothing (a closed port); later a proxy to the emulator opens on it.
    const amoPort = await freePort();
    const { base, lines } = await start({
      AMOCRM_DOMAIN: emu.config.domain,
      AMOCRM_LONG_LIVED_TOKEN: access_token,
      AMOCRM_API_BASE_URL: `http://127.0.0.1:${amoPort}`,
      LEADBRIDGE_SECRET_KEY: 'k'.repeat(40),
    });
    const post = async (n: number) => {
      const r = await fetch(`${base}/api/leads`, { method: 'POST', headers: json, body: JSON.stringify({ name: `Клиент ${n}`, phone: `+7900555000${n}` }) });
      expect(r.status).toBe(202);
      return ((await r.json()) as { id: string }).id;
    };
    const ids = [await post(1), await post(2), await post(3)];
    await until(async () => lines.some((l) => l.msg?.startsWith('amocrm unreachable')), 'the unreachable line');
    await until(async () => lines.some((l) => l.msg?.startsWith('delivery failing')), 'the delivery failing line');
    await until(async () => lines.some((l) => l.msg?.startsWith('contact index import failed')), 'the contact import line');

    // A 20 s window: before the fix 6 lanes logged an ERROR every second (156 a minute).
    const from = lines.length;
    await new Promise((r) => setTimeout(r, 20_000));
    const window = lines.slice(from);
    const loud = window.filter((l) => l.level >= 40);
    expect(loud.map((l) => l.msg)).toEqual([]);
    expect(window.length).toBeLessThan(30); // the audit line of each (backed-off) call, nothing per lane per second
    // The whole outage so far: one line each from the client, the delivery lanes and the contact import.
    const running = lines.slice(lines.findIndex((l) => l.msg === 'leadbridge started'));
    expect(running.filter((l) => l.level >= 40).map((l) => l.msg.split(' (')[0]).sort()).toEqual(
      ['amocrm unreachable', 'contact index import failed', 'delivery failing; backing off'],
    );
    expect(lines.filter((l) => l.msg?.startsWith('amocrm unreachable'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg?.startsWith('delivery failing'))).toHaveLength(1);

    const health = await getJson(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.amocrm).toMatchObject({ ok: false, state: 'connected', reachable: false, error: 'CONNECTION' });
    expect(health.body.checks.queue).toMatchObject({ leads_pending: 3 });
    expect(health.body.checks.queue.depth).toBeGreaterThanOrEqual(3);
    expect(health.body.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^amocrm: amoCRM does not answer/)]));

    // amoCRM comes back: a new lead wakes the lanes; everything is delivered and each recovery is one line.
    const target = new URL(emu.url);
    const proxy: HttpServer = createServer((req, res) => {
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(amoPort, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => proxy.close(() => r())));
    ids.push(await post(4));
    for (const id of ids) await until(async () => (await getJson(`${base}/api/leads/${id}`, admin)).body.status === 'delivered', `lead ${id} delivered`, 180_000);
    expect(lines.filter((l) => l.msg === 'amocrm reachable again')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'delivery recovered')).toHaveLength(1);
    const after = await getJson(`${base}/health`);
    expect(after.body.checks.amocrm).toMatchObject({ ok: true, reachable: true });
    expect(after.body.checks.queue).toMatchObject({ leads_pending: 0 });
    expect(after.body.status).toBe('ok');
    // The audit lines of the recovery: method, path, status, request id; no phone, name or token anywhere.
    const audit = lines.filter((l) => l.msg === 'amocrm call' && l.status === 200);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit[0]).toMatchObject({ audit: 'amocrm', method: expect.any(String), path: expect.stringMatching(/^\/api\/v4\//), request_id: expect.any(String) });
    const logged = JSON.stringify(lines);
    for (const secret of [access_token, '+79005550001', 'Клиент 1']) expect(logged).not.toContain(secret);
  }, 300_000);
});
