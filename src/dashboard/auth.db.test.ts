// Dashboard access: every dashboard API refuses a request without a session, state-changing calls need the CSRF
// token, failed sign-ins slow down, cookies carry the right flags, roles, sign-out, users and the first admin.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { dashboardUsers, leads } from '../db/index.js';
import { insertAnalyticsFixture, LEAD } from '../../test/analytics-fixture.js';
import { addUser, ensureFirstAdmin, listUsers, resetPassword } from './index.js';
import { addTestUsers, ADMIN, dashboardApp, NOW, signInAs, VIEWER } from '../../test/dashboard.js';

let tdb: TestDb;
let app: FastifyInstance;
let replayed: string[];
let clock = NOW;
const webDir = mkdtempSync(join(tmpdir(), 'lb-web-'));

beforeAll(async () => {
  mkdirSync(join(webDir, 'assets'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/dashboard/assets/app-1.js"></script>');
  writeFileSync(join(webDir, 'assets', 'app-1.js'), 'console.log(1)');
  tdb = await createTestDb();
  await insertAnalyticsFixture(tdb.db);
  await addTestUsers(tdb);
  ({ app, replayed } = await dashboardApp(tdb, { now: () => clock, webDir }));
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

describe('no session', () => {
  it('every dashboard and analytics API answers 401 (routes taken from the OpenAPI document)', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const calls: [string, string][] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!/^\/api\/(analytics|dashboard)\//.test(path) || path === '/api/dashboard/login') continue;
      for (const m of Object.keys(methods)) calls.push([m.toUpperCase(), path.replace('{id}', LEAD.L9)]);
    }
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const [method, url] of calls) {
      const res = await app.inject({ method: method as 'GET', url, headers: { cookie: 'lb_session=forged' } });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('/ redirects to /dashboard/, which serves the SPA (any sub-path) with a same-origin CSP; assets are immutable', async () => {
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/dashboard/');
    for (const url of ['/dashboard/', '/dashboard/leads/abc', '/dashboard/funnel']) {
      const page = await app.inject({ method: 'GET', url });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('id="root"');
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      expect(page.headers['cache-control']).toBe('no-cache');
    }
    const asset = await app.inject({ method: 'GET', url: '/dashboard/assets/app-1.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });
});

describe('sign-in', () => {
  it('sets an HttpOnly SameSite=Lax cookie (no Secure over plain HTTP); the session view gives the CSRF token', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: ADMIN });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^lb_session=[\w-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    const body = res.json();
    expect(body).toMatchObject({ email: ADMIN.email, role: 'admin' });
    const s = await app.inject({ method: 'GET', url: '/api/dashboard/session', headers: { cookie: cookie.split(';')[0] as string } });
    expect(s.json()).toEqual(body);
  });

  it('adds Secure behind HTTPS (an https public URL)', async () => {
    const { app: secure } = await dashboardApp(tdb, { publicUrl: 'https://leads.example.com', now: () => clock });
    try {
      const res = await secure.inject({ method: 'POST', url: '/api/dashboard/login', payload: ADMIN, remoteAddress: '10.9.9.9' });
      expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax; Max-Age=\d+; Secure/);
    } finally {
      await secure.close();
    }
  });

  it('refuses a form-encoded sign-in (a cross-site form cannot log someone in)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/dashboard/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${encodeURIComponent(ADMIN.email)}&password=${ADMIN.password}`,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('JSON_REQUIRED');
  });

  it('10 wrong passwords: 5 are answered 401, then 429 with Retry-After, even for the right password, until it passes', async () => {
    const ip = '10.0.0.77';
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: { email: VIEWER.email, password: `wrong-${i}` }, remoteAddress: ip });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    const right = await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: VIEWER, remoteAddress: ip });
    expect(right.statusCode).toBe(429);
    expect(right.json().code).toBe('LOGIN_RATE_LIMITED');
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The wait doubles with each further failure: after the 6th failure it is 2 s.
    clock += 1500;
    expect((await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: { email: VIEWER.email, password: 'x' }, remoteAddress: ip })).statusCode).toBe(401);
    clock += 1500;
    expect((await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: VIEWER, remoteAddress: ip })).statusCode).toBe(429);
    clock += 1000;
    expect((await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: VIEWER, remoteAddress: ip })).statusCode).toBe(200);
    // A success clears the count.
    expect((await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: { email: VIEWER.email, password: 'y' }, remoteAddress: ip })).statusCode).toBe(401);
  });

  it('an unknown email is the same 401 as a wrong password', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: { email: 'nobody@example.com', password: 'whatever-123' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('INVALID_CREDENTIALS');
  });
});

describe('CSRF and roles', () => {
  it('a state-changing call without the CSRF token is 403, with a wrong one too', async () => {
    const a = await signInAs(app, ADMIN, '10.0.1.1');
    for (const headers of [{ cookie: a.cookie }, { cookie: a.cookie, 'x-csrf-token': 'nope' }]) {
      const replay = await app.inject({ method: 'POST', url: `/api/dashboard/leads/${LEAD.L9}/replay`, headers });
      expect(replay.statusCode).toBe(403);
      expect(replay.json().code).toBe('CSRF_TOKEN_INVALID');
      const out = await app.inject({ method: 'POST', url: '/api/dashboard/logout', headers });
      expect(out.statusCode).toBe(403);
    }
    const [row] = await tdb.db.select({ status: leads.status }).from(leads).where(eq(leads.id, LEAD.L9));
    expect(row?.status).toBe('dead');
  });

  it('a viewer cannot replay; an admin can, once', async () => {
    const v = await signInAs(app, VIEWER, '10.0.1.2');
    const denied = await app.inject({ method: 'POST', url: `/api/dashboard/leads/${LEAD.L9}/replay`, headers: v.headers });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('FORBIDDEN');
    const a = await signInAs(app, ADMIN, '10.0.1.3');
    const ok = await app.inject({ method: 'POST', url: `/api/dashboard/leads/${LEAD.L9}/replay`, headers: a.headers });
    expect(ok.statusCode).toBe(200);
    expect(replayed).toEqual(['wake']);
    const [row] = await tdb.db.select({ status: leads.status, attempts: leads.attempts }).from(leads).where(eq(leads.id, LEAD.L9));
    expect(row).toEqual({ status: 'pending', attempts: 0 });
    const again = await app.inject({ method: 'POST', url: `/api/dashboard/leads/${LEAD.L9}/replay`, headers: a.headers });
    expect(again.statusCode).toBe(409);
    const missing = await app.inject({ method: 'POST', url: '/api/dashboard/leads/not-a-lead/replay', headers: a.headers });
    expect(missing.statusCode).toBe(404);
  });

  it('sign-out ends the session and clears the cookie', async () => {
    const a = await signInAs(app, ADMIN, '10.0.1.4');
    const out = await app.inject({ method: 'POST', url: '/api/dashboard/logout', headers: a.headers });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^lb_session=; .*Max-Age=0/);
    const after = await app.inject({ method: 'GET', url: '/api/analytics/overview', headers: { cookie: a.cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('an expired session is refused', async () => {
    const a = await signInAs(app, ADMIN, '10.0.1.5');
    clock += 8 * 24 * 3600_000;
    try {
      expect((await app.inject({ method: 'GET', url: '/api/dashboard/session', headers: { cookie: a.cookie } })).statusCode).toBe(401);
    } finally {
      clock -= 8 * 24 * 3600_000;
    }
  });
});

describe('users', () => {
  it('add, list, reset a password (which signs the user out); argon2id hashes only', async () => {
    await addUser(tdb.db, { email: ' Third@Example.com ', password: 'third-password-1', role: 'viewer' });
    await expect(addUser(tdb.db, { email: 'third@example.com', password: 'another-pass-1', role: 'admin' })).rejects.toMatchObject({ code: 'USER_EXISTS' });
    await expect(addUser(tdb.db, { email: 'short@example.com', password: 'short', role: 'admin' })).rejects.toMatchObject({ code: 'WEAK_PASSWORD' });
    expect((await listUsers(tdb.db)).map((u) => [u.email, u.role])).toContainEqual(['third@example.com', 'viewer']);
    const [row] = await tdb.db.select().from(dashboardUsers).where(eq(dashboardUsers.email, 'third@example.com'));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$/);
    const s = await signInAs(app, { email: 'third@example.com', password: 'third-password-1' }, '10.0.2.1');
    await resetPassword(tdb.db, 'THIRD@example.com', 'new-password-123');
    expect((await app.inject({ method: 'GET', url: '/api/dashboard/session', headers: { cookie: s.cookie } })).statusCode).toBe(401);
    await signInAs(app, { email: 'third@example.com', password: 'new-password-123' }, '10.0.2.1');
    await expect(resetPassword(tdb.db, 'ghost@example.com', 'new-password-123')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it('the first admin: from the environment, generated in the sandbox, nothing once users exist', async () => {
    const fresh = await createTestDb();
    try {
      expect(await ensureFirstAdmin(fresh.db, { sandbox: false })).toBeUndefined();
      const made = await ensureFirstAdmin(fresh.db, { sandbox: true });
      expect(made).toMatchObject({ email: 'admin@leadbridge.local', created: true });
      expect(made?.generatedPassword).toMatch(/^[A-Za-z0-9]{20}$/);
      expect(await ensureFirstAdmin(fresh.db, { sandbox: true })).toBeUndefined();
      const other = await createTestDb();
      try {
        expect(await ensureFirstAdmin(other.db, { sandbox: false, email: 'Boss@Example.com', password: 'boss-password-1' })).toEqual({ email: 'boss@example.com', created: true });
        expect((await listUsers(other.db))[0]).toMatchObject({ email: 'boss@example.com', role: 'admin' });
      } finally {
        await other.cleanup();
      }
    } finally {
      await fresh.cleanup();
    }
  });
});
