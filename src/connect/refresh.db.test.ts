// Token lifecycle: single-flight refresh across processes, keep-alive, env bootstrap, long-lived tokens, reconnect.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AmoReconnectRequiredError } from '../amocrm/index.js';
import { amoConnections } from '../db/index.js';
import { KEEP_ALIVE_AFTER_MS, keepAlive } from './keep-alive.js';
import { amocrmHealthCheck } from './status-view.js';
import { createHarness, type Harness } from '../../test/connect.js';
import { startConnect } from './wire.js';

const DAY = 24 * 3600_000;
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  h.clock.now = Date.now();
  h.emu.control.revokeAll();
  await h.tdb.db.delete(amoConnections);
});

function runChild(args: object): Promise<{ ok: number; errors: string[]; state: string }> {
  const script = fileURLToPath(new URL('../../test/children/refresh-race.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line) reject(new Error(`child exited ${code}: ${err.slice(0, 2000)}`));
      else resolve(JSON.parse(line) as { ok: number; errors: string[]; state: string });
    });
  });
}

describe('refresh at expiry: single flight across processes', () => {
  it('two processes × 50 concurrent requests → exactly one refresh reaches amoCRM, none fails', async () => {
    const conn = await h.connect();
    const pair = await h.pair();
    // The access token is expired as far as Leadbridge knows: the first call of every request wants a refresh.
    await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: { ...pair, expiresAt: Date.now() - 1000 } });
    const before = h.emu.control.tokenCalls();

    if (h.tdb.url) {
      // PostgreSQL: two real processes sharing the token store (pg_advisory_xact_lock).
      const args = {
        databaseUrl: h.tdb.url,
        emulatorUrl: h.emu.url,
        keyHex: h.key.toString('hex'),
        oauth: { clientId: h.emu.config.clientId, clientSecret: h.emu.config.clientSecret, redirectUri: h.emu.config.redirectUri },
        requests: 50,
        startAt: Date.now() + 3000,
      };
      const results = await Promise.all([runChild(args), runChild(args)]);
      for (const r of results) expect(r).toEqual({ ok: 50, errors: [], state: 'connected' });
    } else {
      // PGlite is one process: the same race with two connections (two clients, two stores) on one PGlite.
      const other = await h.connect();
      const fire = (c: typeof conn) => Array.from({ length: 50 }, () => c.amo.account.get());
      const results = await Promise.allSettled([...fire(conn), ...fire(other)]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    }

    expect(h.emu.control.tokenCalls() - before).toBe(1);
    const refreshes = (h.emu.control.state().calls as { path: string }[]).filter((c) => c.path === '/oauth2/access_token');
    expect(refreshes.length).toBe(1);
    expect((await conn.status()).state).toBe('connected');
    expect((await conn.store.get())?.refreshToken).not.toBe(pair.refreshToken);
  }, 40_000);
});

describe('keep-alive', () => {
  it('refreshes a pair whose last refresh is older than a week, and leaves a fresh one alone', async () => {
    const conn = await h.connect();
    await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
    const calls = h.emu.control.tokenCalls();
    expect(await keepAlive(conn)).toMatchObject({ action: 'fresh' });
    h.clock.now += KEEP_ALIVE_AFTER_MS - 60_000;
    expect(await keepAlive(conn)).toMatchObject({ action: 'fresh' });
    expect(h.emu.control.tokenCalls()).toBe(calls);

    h.clock.now += 2 * DAY;
    const result = await keepAlive(conn);
    expect(result).toEqual({ action: 'refreshed', lastRefreshAt: h.clock.now });
    expect(h.emu.control.tokenCalls()).toBe(calls + 1);
    expect((await conn.status()).refreshExpiresAt).toBe(h.clock.now + 90 * DAY);
    expect(await keepAlive(conn)).toMatchObject({ action: 'fresh' });
  });

  it('a second process running the same keep-alive does not refresh again', async () => {
    const a = await h.connect();
    const b = await h.connect();
    await a.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
    h.clock.now += 8 * DAY;
    const calls = h.emu.control.tokenCalls();
    const [ra, rb] = await Promise.all([keepAlive(a), keepAlive(b)]);
    expect([ra.action, rb.action].filter((x) => x === 'refreshed').length).toBeGreaterThanOrEqual(1);
    expect(h.emu.control.tokenCalls()).toBe(calls + 1);
    expect((await b.amo.account.get()).id).toBe(31000001);
  });

  it('a rejected refresh becomes reconnect_required (shown in health), and deliveries see it', async () => {
    const conn = await h.connect();
    await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
    const seen: string[] = [];
    conn.onStateChange((s) => seen.push(s.state));
    h.emu.control.revokeAll();
    h.clock.now += 8 * DAY;
    expect(await keepAlive(conn)).toMatchObject({ action: 'failed' });
    expect(conn.connectionState()).toMatchObject({ state: 'reconnect_required', reason: 'refresh_rejected' });
    expect(seen).toEqual(['reconnect_required']);
    const health = await amocrmHealthCheck(conn, { sandbox: false, installUrl: '/api/auth/amo' })();
    expect(health).toMatchObject({ ok: false, state: 'reconnect_required' });
    await expect(conn.amo.account.get()).rejects.toBeInstanceOf(AmoReconnectRequiredError);
    expect(await keepAlive(conn)).toEqual({ action: 'skipped', reason: 'reconnect_required' });
  });
});

describe('long-lived tokens and env bootstrap', () => {
  it('a long-lived token from the env is used, never refreshed, and a 401 makes it reconnect_required', async () => {
    const { access_token } = await h.emu.control.issueLongLivedToken({ ttlSec: 30 * 24 * 3600 });
    const env = { ...h.config, amocrm: { host: 'demo.amocrm.ru', subdomain: 'demo', longLivedToken: access_token } };
    const conn = await h.connect({ config: env });
    expect(conn.envImport).toBe('imported');
    const calls = h.emu.control.tokenCalls();
    for (let i = 0; i < 3; i++) expect((await conn.amo.account.get()).id).toBe(31000001);
    h.clock.now += 20 * DAY;
    expect(await keepAlive(conn)).toEqual({ action: 'skipped', reason: 'long_lived' });
    expect(h.emu.control.tokenCalls()).toBe(calls);

    h.emu.control.revokeAll();
    await expect(conn.amo.account.get()).rejects.toMatchObject({ code: 'RECONNECT_REQUIRED', reason: 'long_lived_rejected' });
    expect(h.emu.control.tokenCalls()).toBe(calls);
    expect((await conn.status()).state).toBe('reconnect_required');
    // A restart with the same env value does not resurrect the dead token.
    const again = await h.connect({ config: env });
    expect(again.envImport).toBe('already_imported');
    expect((await again.status()).state).toBe('reconnect_required');
  });

  it('AMOCRM_REFRESH_TOKEN is imported once and rotated in the store; a restart keeps the rotated pair', async () => {
    const { refresh_token } = await h.emu.control.issueTokens();
    const env = { ...h.config, amocrm: { host: 'demo.amocrm.ru', subdomain: 'demo', refreshToken: refresh_token } };
    const conn = await h.connect({ config: env });
    expect(conn.envImport).toBe('imported');
    expect((await conn.amo.account.get()).id).toBe(31000001); // refreshes first (no access token yet)
    const rotated = await conn.store.get();
    expect(rotated?.refreshToken).not.toBe(refresh_token);

    const restarted = await h.connect({ config: env });
    expect(restarted.envImport).toBe('already_imported');
    expect((await restarted.store.get())?.refreshToken).toBe(rotated?.refreshToken);
    expect((await restarted.amo.account.get()).id).toBe(31000001);

    // A NEW env value is a deliberate change: imported.
    const fresh = await h.emu.control.issueTokens();
    const changed = await h.connect({ config: { ...env, amocrm: { ...env.amocrm, refreshToken: fresh.refresh_token } } });
    expect(changed.envImport).toBe('imported');
    const [row] = await h.tdb.db.select().from(amoConnections);
    expect(row?.envImportHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(fresh.refresh_token);
  });

  it('two instances starting at once import the env pair once; the slower never overwrites the rotated pair', async () => {
    const { refresh_token } = await h.emu.control.issueTokens();
    const env = { ...h.config, amocrm: { host: 'demo.amocrm.ru', subdomain: 'demo', refreshToken: refresh_token } };
    // Each instance imports, then at once makes a call (which refreshes the imported pair). Before the import ran
    // under the refresh lock, both read "not imported yet" and the later write put the spent token back.
    const start = async () => {
      const conn = await h.connect({ config: env });
      await conn.amo.account.get();
      return conn;
    };
    const conns = await Promise.all([start(), start(), start()]);
    expect(conns.map((c) => c.envImport).sort()).toEqual(['already_imported', 'already_imported', 'imported']);
    const stored = await conns[0]!.store.get();
    expect(stored?.refreshToken).not.toBe(refresh_token);
    // The pair in the store is the live one: every instance keeps working after the access token expires.
    h.clock.now += 25 * 3600_000;
    for (const c of conns) expect((await c.amo.account.get()).id).toBe(31000001);
    expect((await conns[0]!.status()).state).toBe('connected');
  });

  it('an expired long-lived token is reconnect_required without a call', async () => {
    const { access_token } = await h.emu.control.issueLongLivedToken({ ttlSec: 3600 });
    const env = { ...h.config, amocrm: { host: 'demo.amocrm.ru', subdomain: 'demo', longLivedToken: access_token } };
    const conn = await h.connect({ config: env });
    h.clock.now += 2 * 3600_000;
    await expect(conn.amo.account.get()).rejects.toMatchObject({ reason: 'long_lived_expired' });
    expect(conn.connectionState()).toMatchObject({ state: 'reconnect_required', reason: 'long_lived_expired' });
  });
});

describe('delivery hold', () => {
  it('bindDeliveryPause holds deliveries while reconnect_required and releases them when another process reconnects', async () => {
    // Outside the sandbox a missing LEADBRIDGE_SECRET_KEY is a startup error with a clear message.
    await expect(startConnect({ config: h.config, db: h.tdb })).rejects.toMatchObject({ code: 'SECRET_KEY_MISSING' });
    const rt = await startConnect({
      config: { ...h.config, secretKey: h.key.toString('hex') },
      db: h.tdb,
      pollMs: 20,
      connection: {
        apiBaseUrl: h.emu.url,
        oauth: { clientId: h.emu.config.clientId, clientSecret: h.emu.config.clientSecret, redirectUri: h.emu.config.redirectUri },
        now: () => h.clock.now,
      },
    });
    try {
      const reasons: (string | null)[] = [];
      rt.bindDeliveryPause({ deliveryPaused: (r) => reasons.push(r) });
      expect(reasons).toEqual(['amocrm_not_connected']);
      await rt.conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
      expect(reasons.at(-1)).toBeNull();

      h.emu.control.revokeAll();
      h.clock.now += 8 * DAY;
      await keepAlive(rt.conn);
      expect(reasons.at(-1)).toBe('amocrm_reconnect_required: refresh_rejected');

      // Another process reconnects (its own store on the same database): the held worker notices by polling.
      const other = await h.connect();
      await other.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
      await vi.waitFor(() => expect(reasons.at(-1)).toBeNull(), { timeout: 2000, interval: 20 });
      expect((await rt.healthCheck()).ok).toBe(true);
    } finally {
      await rt.close();
    }
  });
});

describe('secret key', () => {
  it('tokens stored with another LEADBRIDGE_SECRET_KEY are unreadable: reconnect_required, not a crash', async () => {
    const conn = await h.connect();
    await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
    const otherKey = await h.connect({ key: Buffer.alloc(32, 7) });
    await expect(otherKey.amo.account.get()).rejects.toMatchObject({ code: 'RECONNECT_REQUIRED' });
    expect(await otherKey.status()).toMatchObject({ state: 'reconnect_required', reason: expect.stringContaining('LEADBRIDGE_SECRET_KEY') });
  });
});
