// The public connection status is minimal (no account id, host or token times without the admin token), and a token
// imported from the environment is "unverified" until amoCRM accepts a call — against the emulator over real HTTP.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import { buildApp } from '../../test/app.js';
import type { AmoConnection } from './connection.js';
import { amocrmHealthCheck } from './status-view.js';
import { createHarness, type Harness } from '../../test/connect.js';

let h: Harness;
const apps: FastifyInstance[] = [];
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

async function appFor(conn: AmoConnection): Promise<FastifyInstance> {
  const app = await buildApp({ config: h.config, db: h.tdb, extraRoutes: [(ctx) => h.routes(conn, ctx.requireAdmin)] });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  h = await createHarness();
}, 120_000);
afterAll(async () => {
  for (const a of apps) await a.close();
  await h?.close();
});

describe('connection status exposure', () => {
  it('anonymous callers see only connected/state/install link; the admin token shows the account and token times', async () => {
    const conn = await h.connect();
    await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
    const app = await appFor(conn);
    for (const url of ['/api/auth/amo/status', '/api/amocrm/callback']) {
      const anon = await app.inject({ method: 'GET', url });
      expect(anon.statusCode).toBe(200);
      expect(Object.keys(anon.json()).sort()).toEqual(['connected', 'details', 'install_url', 'sandbox', 'state']);
      expect(anon.json()).toMatchObject({ connected: true, state: 'connected', install_url: '/api/auth/amo' });
      const { details: _details, ...fields } = anon.json();
      for (const leak of ['31000001', 'demo', 'expires', 'refresh', 'account', 'T']) expect(JSON.stringify(fields)).not.toContain(leak);
      expect(anon.body).not.toContain('31000001');
      expect(anon.body).not.toContain('demo.amocrm.ru');
      // A wrong token is treated as anonymous (no 401: the guides call this without one).
      const wrong = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer not-the-admin-token' } });
      expect(wrong.body).not.toContain('31000001');

      const full = await app.inject({ method: 'GET', url, headers: admin });
      expect(full.json()).toMatchObject({ connected: true, verified: true, account: { id: 31000001, host: 'demo.amocrm.ru' }, token: { kind: 'oauth' } });
      expect(Date.parse(full.json().token.expires_at)).toBeGreaterThan(Date.now());
    }
  });

  it('a token from the environment is "unverified" until a call succeeds; then connected', async () => {
    const pair = await h.pair();
    const config = { ...h.config, amocrm: { ...h.config.amocrm, host: 'demo.amocrm.ru', refreshToken: pair.refreshToken ?? '', accessToken: pair.accessToken } };
    const conn = await h.connect({ id: 'env-import', config });
    expect(conn.envImport).toBe('imported');
    const app = await buildApp({ config, db: h.tdb, extraRoutes: [(ctx) => h.routes(conn, ctx.requireAdmin)] });
    apps.push(app);
    const before = await app.inject({ method: 'GET', url: '/api/auth/amo/status', headers: admin });
    expect(before.json()).toMatchObject({ connected: false, state: 'unverified', verified: false });
    expect(before.json().reason).toContain('AMOCRM_REFRESH_TOKEN');
    expect((await app.inject({ method: 'GET', url: '/api/auth/amo/status' })).json()).toMatchObject({ connected: false, state: 'unverified' });
    const health = amocrmHealthCheck(conn, { sandbox: false, installUrl: '/api/auth/amo' });
    expect(await health()).toMatchObject({ ok: false, verified: false });

    // The first successful call verifies it (recorded in the background: poll).
    expect((await conn.amo.account.get()).id).toBe(31000001);
    let after = (await app.inject({ method: 'GET', url: '/api/auth/amo/status', headers: admin })).json();
    for (let i = 0; i < 100 && after.verified !== true; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await app.inject({ method: 'GET', url: '/api/auth/amo/status', headers: admin })).json();
    }
    expect(after).toMatchObject({ connected: true, state: 'connected', verified: true, reason: null });
    expect(await health()).toMatchObject({ ok: true });
    // A restart with the same env value does not make it unverified again.
    const again = await h.connect({ id: 'env-import', config });
    expect(again.envImport).toBe('already_imported');
    expect((await again.status()).verified).toBe(true);
  }, 120_000);

  it('a token from the environment that amoCRM refuses never shows as connected', async () => {
    const config = { ...h.config, amocrm: { ...h.config.amocrm, host: 'demo.amocrm.ru', refreshToken: 'def50200-not-a-real-refresh-token-0000' } };
    const conn = await h.connect({ id: 'env-bad', config });
    expect(conn.envImport).toBe('imported');
    expect((await conn.status()).verified).toBe(false);
    await expect(conn.amo.account.get()).rejects.toBeDefined();
    const s = await conn.status();
    expect(s.state).toBe('reconnect_required');
    expect(s.verified).toBe(false);
  }, 120_000);
});
