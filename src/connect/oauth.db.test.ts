// The OAuth round trip through our HTTP routes against the emulator over real HTTP: install link → consent page →
// callback → code exchange → encrypted store; the state/referer/denial edge cases; token import; status.
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import { amoConnections } from '../db/index.js';
import type { AmoConnection } from './connection.js';
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
let app: FastifyInstance;

beforeAll(async () => {
  h = await createHarness();
  conn = await h.connect();
  app = await appFor(h, conn);
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await h?.close();
});
beforeEach(() => {
  h.clock.now = Date.now();
});

/** GET our install link; returns the consent URL it redirects to. */
async function installLink(): Promise<URL> {
  const res = await app.inject({ method: 'GET', url: '/api/auth/amo' });
  expect(res.statusCode).toBe(302);
  return new URL(String(res.headers.location));
}

async function installLinkOf(a: FastifyInstance): Promise<URL> {
  return new URL(String((await a.inject({ method: 'GET', url: '/api/auth/amo' })).headers.location));
}

/** Follow the emulator's consent page (auto-approve) to the redirect it sends the browser to. */
async function approve(consent: URL): Promise<URL> {
  const res = await fetch(consent, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(String(res.headers.get('location')));
}

function callbackPath(redirect: URL, patch: Record<string, string | null> = {}, path = '/api/auth/amo/callback'): string {
  const q = new URLSearchParams(redirect.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) q.delete(k);
    else q.set(k, v);
  }
  return `${path}?${q.toString()}`;
}

describe('OAuth round trip through the routes', () => {
  it('connects: install link → consent → callback → code exchange, stored encrypted, status without secrets', async () => {
    const consent = await installLink();
    expect(consent.origin).toBe(h.emu.url);
    expect(consent.searchParams.get('client_id')).toBe(h.emu.config.clientId);
    expect(consent.searchParams.get('state')).toMatch(/^[\w-]+\.[\w-]+$/);

    const redirect = await approve(consent);
    expect(redirect.searchParams.get('referer')).toBe('demo.amocrm.ru');
    const res = await app.inject({ method: 'GET', url: callbackPath(redirect), headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('amoCRM connected');

    const status = await app.inject({ method: 'GET', url: '/api/auth/amo/status', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(status.statusCode).toBe(200);
    const body = status.json();
    expect(body).toMatchObject({ connected: true, state: 'connected', account: { id: 31000001, subdomain: 'demo', host: 'demo.amocrm.ru' } });
    expect(body.token.kind).toBe('oauth');
    expect(Date.parse(body.token.expires_at)).toBeGreaterThan(Date.now());
    expect(body.token.last_refresh_at).not.toBeNull();

    const tokens = await conn.store.get();
    expect(tokens?.refreshToken).toBeTruthy();
    expect(status.body).not.toContain(tokens?.accessToken ?? '∅');
    expect(status.body).not.toContain(tokens?.refreshToken ?? '∅');

    // The tokens work, and they are not plaintext in the database.
    expect((await conn.amo.account.get()).id).toBe(31000001);
    const { rows } = await h.tdb.executeSql('select * from amo_connections');
    const raw = JSON.stringify(rows);
    expect(rows[0]?.access_token_enc).toMatch(/^v1:/);
    expect(rows[0]?.refresh_token_enc).toMatch(/^v1:/);
    for (const secret of [tokens?.accessToken, tokens?.refreshToken]) {
      expect(raw).not.toContain(secret ?? '∅');
      expect(raw).not.toContain((secret ?? '∅').slice(8, 40));
    }
  });

  it('FitZone aliases: GET /api/amocrm/auth gives {auth_url}; /api/amocrm/callback with a code connects, without one reports', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/amocrm/auth' });
    expect(res.statusCode).toBe(200);
    const consent = new URL(res.json().auth_url);
    const redirect = await approve(consent);
    const cb = await app.inject({ method: 'GET', url: callbackPath(redirect, {}, '/api/amocrm/callback') });
    expect(cb.statusCode).toBe(200);
    expect(cb.json()).toMatchObject({ connected: true, account: { host: 'demo.amocrm.ru' } });
    const report = await app.inject({ method: 'GET', url: '/api/amocrm/callback', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(report.statusCode).toBe(200);
    expect(report.json()).toMatchObject({ connected: true, state: 'connected', token: { kind: 'oauth' } });
  });

  it('rejects a tampered state and changes nothing', async () => {
    const before = await conn.store.get();
    const redirect = await approve(await installLink());
    const state = redirect.searchParams.get('state') ?? '';
    const tampered = `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`;
    const res = await app.inject({ method: 'GET', url: callbackPath(redirect, { state: tampered }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('STATE_INVALID');
    const missing = await app.inject({ method: 'GET', url: callbackPath(redirect, { state: null }) });
    expect(missing.json().code).toBe('STATE_INVALID');
    expect((await conn.store.get())?.accessToken).toBe(before?.accessToken);
  });

  it('rejects an expired state', async () => {
    const redirect = await approve(await installLink());
    h.clock.now += 16 * 60_000;
    const res = await app.inject({ method: 'GET', url: callbackPath(redirect), headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('expired');
  });

  it('pins the whole host: connected to demo.amocrm.ru, an approval from demo.kommo.com is refused', async () => {
    const redirect = await approve(await installLink());
    const res = await app.inject({ method: 'GET', url: callbackPath(redirect, { referer: 'demo.kommo.com' }) });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('ACCOUNT_MISMATCH');
    expect((await conn.status()).host).toBe('demo.amocrm.ru');
  });

  it('accepts a kommo.com referer when AMOCRM_DOMAIN names it: the account host becomes example.kommo.com', async () => {
    const kommo = await appFor(h, conn, { configuredHost: 'demo.kommo.com' });
    const redirect = await approve(await installLinkOf(kommo));
    const res = await kommo.inject({ method: 'GET', url: callbackPath(redirect, { referer: 'demo.kommo.com' }) });
    expect(res.statusCode).toBe(200);
    expect(res.json().account.host).toBe('demo.kommo.com');
    expect((await conn.amo.account.get()).id).toBe(31000001);
    // Back to the .ru host for the tests below (pinned, since the whole host is compared).
    const ru = await appFor(h, conn, { configuredHost: 'demo.amocrm.ru' });
    expect((await ru.inject({ method: 'GET', url: callbackPath(await approve(await installLinkOf(ru))) })).statusCode).toBe(200);
  });

  it('a state is single-use: the same link with a fresh code is refused, nothing changes', async () => {
    const consent = await installLink();
    const first = await approve(consent);
    expect((await app.inject({ method: 'GET', url: callbackPath(first) })).statusCode).toBe(200);
    const before = await conn.store.get();
    const again = await approve(consent);
    expect(again.searchParams.get('code')).not.toBe(first.searchParams.get('code'));
    const res = await app.inject({ method: 'GET', url: callbackPath(again) });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('STATE_USED');
    expect((await conn.store.get())?.accessToken).toBe(before?.accessToken);
  });

  it('a state used through one instance is refused by another on the same database', async () => {
    const second = await appFor(h, conn);
    const consent = await installLink();
    expect((await app.inject({ method: 'GET', url: callbackPath(await approve(consent)) })).statusCode).toBe(200);
    const res = await second.inject({ method: 'GET', url: callbackPath(await approve(consent)) });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('STATE_USED');
  });

  it('rejects a foreign referer (not an amoCRM/Kommo account) before exchanging the code', async () => {
    const calls = h.emu.control.tokenCalls();
    for (const referer of ['evil.example.com', 'demo.amocrm.ru.evil.com', 'www.amocrm.ru', '']) {
      const redirect = await approve(await installLink());
      const res = await app.inject({ method: 'GET', url: callbackPath(redirect, { referer }) });
      expect(res.statusCode, referer).toBe(400);
      expect(res.json().code).toBe('REFERER_INVALID');
    }
    expect(h.emu.control.tokenCalls()).toBe(calls);
  });

  it('refuses a callback from another account when AMOCRM_DOMAIN pins one', async () => {
    const pinned = await appFor(h, conn, { configuredHost: 'other.amocrm.ru' });
    const consent = new URL(String((await pinned.inject({ method: 'GET', url: '/api/auth/amo' })).headers.location));
    const redirect = await approve(consent);
    const res = await pinned.inject({ method: 'GET', url: callbackPath(redirect) });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('ACCOUNT_MISMATCH');
  });

  it('refuses to switch to another account without AMOCRM_DOMAIN, and allows it when pinned to the new one', async () => {
    const other = await createHarness({ emulator: { subdomain: 'other' } });
    try {
      const otherConn = await other.connect();
      const otherApp = await appFor(other, otherConn);
      await otherConn.store.connect({ host: 'first.amocrm.ru', accountId: 1, tokens: await other.pair() });
      const redirect = await approve(await installLinkOf(otherApp));
      expect(redirect.searchParams.get('referer')).toBe('other.amocrm.ru');
      const res = await otherApp.inject({ method: 'GET', url: callbackPath(redirect) });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('ACCOUNT_MISMATCH');
      expect((await otherConn.status()).host).toBe('first.amocrm.ru');
      const pinned = await appFor(other, otherConn, { configuredHost: 'other.amocrm.ru' });
      const ok = await pinned.inject({ method: 'GET', url: callbackPath(await approve(await installLinkOf(pinned))) });
      expect(ok.statusCode).toBe(200);
      expect((await otherConn.status()).host).toBe('other.amocrm.ru');
    } finally {
      await other.close();
    }
  });

  it('handles access_denied with a clear page', async () => {
    const denyEmu = await createHarness({ emulator: { autoApprove: false } });
    try {
      const denyConn = await denyEmu.connect();
      const denyApp = await appFor(denyEmu, denyConn);
      const consent = new URL(String((await denyApp.inject({ method: 'GET', url: '/api/auth/amo' })).headers.location));
      const decide = await fetch(`${denyEmu.emu.url}/oauth/decide`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: consent.searchParams.get('client_id') ?? '', state: consent.searchParams.get('state') ?? '', decision: 'deny' }),
      });
      const redirect = new URL(String(decide.headers.get('location')));
      expect(redirect.searchParams.get('error')).toBe('access_denied');
      const page = await denyApp.inject({ method: 'GET', url: callbackPath(redirect), headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(400);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('Access was not granted');
      const json = await denyApp.inject({ method: 'GET', url: callbackPath(redirect, {}, '/api/amocrm/callback') });
      expect(json.json().code).toBe('ACCESS_DENIED');
      expect((await denyConn.status()).state).toBe('not_connected');
    } finally {
      await denyEmu.close();
    }
  });

  it('POST /api/amocrm/callback {refresh_token} imports (admin only) and rotates the token at once', async () => {
    const { refresh_token } = await h.emu.control.issueTokens();
    const anon = await app.inject({ method: 'POST', url: '/api/amocrm/callback', payload: { refresh_token } });
    expect(anon.statusCode).toBe(401);
    // Authentication comes before validation: a stranger learns nothing about the body's shape.
    const anonBad = await app.inject({ method: 'POST', url: '/api/amocrm/callback', payload: { refresh: 1 } });
    expect(anonBad.statusCode).toBe(401);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/amocrm/callback',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { refresh: 1 },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    expect(bad.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'refresh_token', code: 'INVALID_TYPE' })]));
    const calls = h.emu.control.tokenCalls();
    const res = await app.inject({
      method: 'POST',
      url: '/api/amocrm/callback',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { refresh_token, domain: 'demo.amocrm.ru' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ connected: true, account: { host: 'demo.amocrm.ru' } });
    expect(h.emu.control.tokenCalls()).toBe(calls + 1);
    expect((await conn.store.get())?.refreshToken).not.toBe(refresh_token);
    // The same (now spent) token again: refused, nothing changes.
    const again = await app.inject({
      method: 'POST',
      url: '/api/amocrm/callback',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { refresh_token, domain: 'demo.amocrm.ru' },
    });
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('TOKEN_REJECTED');
    expect((await conn.status()).state).toBe('connected');
  });
});

describe('integration-disable hook', () => {
  const sign = (clientId: string, accountId: string, secret: string) =>
    createHmac('sha256', secret).update(`${clientId}|${accountId}`).digest('hex');

  it('a bad signature is 401 and changes nothing; a good one marks the account disconnected', async () => {
    await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
    const { clientId, clientSecret } = h.emu.config;
    const bad = sign(clientId, '31000001', 'not-the-secret');
    for (const path of ['/api/amocrm/disable', '/api/auth/amo/disable']) {
      const res = await app.inject({ method: 'GET', url: `${path}?client_uuid=${clientId}&account_id=31000001&signature=${bad}` });
      expect(res.statusCode).toBe(401);
    }
    const noSig = await app.inject({ method: 'GET', url: `/api/amocrm/disable?client_uuid=${clientId}&account_id=31000001` });
    expect(noSig.statusCode).toBe(401);
    expect((await conn.status()).state).toBe('connected');

    const good = sign(clientId, '31000001', clientSecret);
    const res = await app.inject({ method: 'GET', url: `/api/auth/amo/disable?client_uuid=${clientId}&account_id=31000001&signature=${good}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, disconnected: true });
    const status = await app.inject({ method: 'GET', url: '/api/auth/amo/status', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(status.json()).toMatchObject({ connected: false, state: 'disconnected', reason: 'integration_disabled' });
    const [row] = await h.tdb.db.select().from(amoConnections);
    expect(row?.accessTokenEnc).toBeNull();
    await expect(conn.amo.account.get()).rejects.toMatchObject({ code: 'RECONNECT_REQUIRED' });
  });
});
