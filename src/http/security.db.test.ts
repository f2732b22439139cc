// Security headers on every answer, HSTS only over HTTPS, CORS only on the intake surfaces, constant-time secret
// comparison, and no stack trace in any error body.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { registerUi } from '../dashboard/ui.js';
import { buildApp } from '../../test/app.js';
import { API_CSP, PAGE_CSP } from './security.js';

let tdb: TestDb;
let app: FastifyInstance;
let https: FastifyInstance;
const webDir = mkdtempSync(join(tmpdir(), 'lb-web-'));

beforeAll(async () => {
  tdb = await createTestDb();
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>dash</title>');
  const base = testConfig();
  const extra = [
    () => async (a: FastifyInstance) => {
      a.get('/l/page', async (_req, reply) => reply.type('text/html; charset=utf-8').send('<!doctype html><p>landing</p>'));
      a.get('/api/admin/thing', { onRequest: async () => undefined }, async () => ({ secret: 'admin-only' }));
      a.get('/api/boom', async () => {
        throw new Error('kaboom at /work/secret/path.ts:12');
      });
      await registerUi(a, webDir);
    },
  ];
  // Every origin allowed for intake: admin answers must still carry no CORS header.
  app = await buildApp({ config: { ...base, cors: { origins: ['*'] }, intake: { ...base.intake, trustProxy: true } }, db: tdb, extraRoutes: extra });
  https = await buildApp({ config: { ...base, publicUrl: 'https://leads.example.com' }, db: tdb });
});
afterAll(async () => {
  await app?.close();
  await https?.close();
  await tdb?.cleanup();
});

const frameDenied = (h: Record<string, unknown>) => {
  expect(h['x-frame-options']).toBe('DENY');
  expect(String(h['content-security-policy'])).toContain("frame-ancestors 'none'");
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBeTruthy();
};

describe('security headers', () => {
  it.each([
    ['GET', '/health'],
    ['GET', '/api/nope'],
    ['POST', '/api/leads'],
    ['GET', '/api/admin/thing'],
    ['GET', '/api/boom'],
    ['GET', '/docs/json'],
    ['GET', '/metrics'],
  ])('%s %s: nosniff, no framing, a CSP and a referrer policy', async (method, url) => {
    const res = await app.inject({ method: method as 'GET', url, ...(method === 'POST' ? { payload: { name: 'x' } } : {}) });
    frameDenied(res.headers);
    if (!url.startsWith('/docs')) expect(res.headers['content-security-policy']).toBe(API_CSP);
  });

  it('pages: the landing page gets the page CSP, the dashboard keeps its own, Swagger UI its own (never framed)', async () => {
    const page = await app.inject({ method: 'GET', url: '/l/page' });
    frameDenied(page.headers);
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(page.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    const dash = await app.inject({ method: 'GET', url: '/dashboard/' });
    expect(dash.statusCode).toBe(200);
    frameDenied(dash.headers);
    expect(dash.headers['content-security-policy']).toContain("script-src 'self'");
    const docs = await app.inject({ method: 'GET', url: '/docs/static/index.html' });
    frameDenied(docs.headers);
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('HSTS only over HTTPS: X-Forwarded-Proto behind a trusted proxy, or an https public URL', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).headers['strict-transport-security']).toBeUndefined();
    const proxied = await app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers['strict-transport-security']).toBe('max-age=31536000');
    expect((await https.inject({ method: 'GET', url: '/health' })).headers['strict-transport-security']).toBe('max-age=31536000');
  });
});

describe('CORS', () => {
  const evil = { origin: 'https://evil.example' };
  it('intake is cross-origin (cors.origins), admin and dashboard answers never are', async () => {
    const intake = await app.inject({ method: 'OPTIONS', url: '/api/leads', headers: { ...evil, 'access-control-request-method': 'POST' } });
    expect(intake.headers['access-control-allow-origin']).toBe('*');
    for (const url of ['/api/admin/thing', '/api/dashboard/session', '/api/analytics/overview', '/dashboard/', '/metrics', '/api/leads/00000000-0000-0000-0000-000000000000']) {
      const get = await app.inject({ method: 'GET', url, headers: { ...evil, authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(get.headers['access-control-allow-origin'], url).toBeUndefined();
      const pre = await app.inject({ method: 'OPTIONS', url, headers: { ...evil, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
      expect(pre.headers['access-control-allow-origin'], url).toBeUndefined();
      expect(pre.headers['access-control-allow-headers'], url).toBeUndefined();
    }
  });
});

describe('error bodies', () => {
  it('a thrown error is a 500 problem without its message, path or stack', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toMatch(/kaboom|secret\/path|\n\s+at |\.ts:\d+/);
  });
});

describe('secrets are compared in constant time', () => {
  it('no === / !== between a secret-like value and another in src (timingSafeEqual on digests instead)', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.includes('amocrm-emulator')) files.push(p);
      }
    };
    walk(root);
    const SECRET = /\b\w*(token|secret|signature|password|apikey|api_key|csrf|verify_token|hmac)\w*\b/i;
    const CMP = /([\w.[\]'"]+)\s*(===|!==)\s*([\w.[\]'"]+)/g;
    const offenders: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return;
        for (const m of line.matchAll(CMP)) {
          const [, a = '', , b = ''] = m;
          const other = [a, b].find((x) => !SECRET.test(x)) ?? '';
          // Comparing with a literal, undefined/null, a type or a length is not comparing two secrets.
          if (/^(undefined|null|true|false|\d+|'[^']*'|"[^"]*")$/.test(other) || /\.length$|typeof/.test(`${a} ${b}`)) continue;
          if (SECRET.test(a) && SECRET.test(b)) offenders.push(`${f.slice(root.length)}:${i + 1}: ${line.trim()}`);
          else if (SECRET.test(a) !== SECRET.test(b) && /(given|presented|expected|provided|header|query|body)/i.test(`${a} ${b}`)) offenders.push(`${f.slice(root.length)}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(offenders).toEqual([]);
  });
});
