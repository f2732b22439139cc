// Every error a client can provoke is problem+json with a code — Fastify's and Node's own refusals, the CORS
// plugin's preflight errors, an upstream 502 — and none echoes the URL (paths can hold secrets) or a stack.
import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { buildApp } from '../../test/app.js';

let tdb: TestDb;
let app: FastifyInstance;
let port = 0;

class UpstreamError extends Error {
  readonly code = 'CODE_EXCHANGE_FAILED';
  readonly statusCode = 502;
}

beforeAll(async () => {
  tdb = await createTestDb();
  app = await buildApp({
    config: testConfig({ cors: { origins: ['https://site.example'] } }),
    db: tdb,
    extraRoutes: [
      () => async (a) => {
        a.get('/test/upstream', async () => {
          throw new UpstreamError('amoCRM could not be reached');
        });
        a.get('/test/crash/:secret', async () => {
          throw new Error('internal detail at /srv/app.ts:12');
        });
      },
    ],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

/** A raw HTTP exchange (so Node's own parser limits apply, which inject() skips). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const isProblem = (r: { type: string; body: string }) => {
  expect(r.type).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(r.body) as { code?: unknown; status?: unknown };
  expect(typeof p.code).toBe('string');
  expect(r.body).not.toMatch(/\bat .+:\d+:\d+\)?/); // no stack frames
  return p;
};

describe('problem+json for every error', () => {
  it('a 502 from an upstream keeps its status and code (not a 500)', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/upstream' });
    expect(res.statusCode).toBe(502);
    expect(isProblem({ type: String(res.headers['content-type']), body: res.body })).toMatchObject({ code: 'CODE_EXCHANGE_FAILED' });
  });

  it('a 500 names the route pattern, never the path or the error message', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/crash/s3cr3t-path-value' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('s3cr3t-path-value');
    expect(res.body).not.toContain('internal detail');
    expect(res.json()).toMatchObject({ code: 'INTERNAL_ERROR', instance: '/test/crash/:secret' });
  });

  it('a 404 does not echo the path', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope/s3cr3t-path-value?email=a@b.ru' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('s3cr3t');
    expect(res.body).not.toContain('a@b.ru');
  });

  it('headers too large → 431 problem+json (Node refuses them before Fastify)', async () => {
    const res = await raw('/health', { 'x-big': 'x'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect(isProblem(res)).toMatchObject({ code: 'HEADERS_TOO_LARGE', status: 431 });
    // The security headers too (written by clientErrorHandler, no Fastify hook runs).
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  it('a URL too long → 4xx problem+json', async () => {
    const res = await raw(`/api/leads/${'a'.repeat(20_000)}`);
    expect([414, 431]).toContain(res.status);
    isProblem(res);
  });

  it('a malformed URL (bad percent-encoding) → 400 problem+json without the URL', async () => {
    const res = await raw('/api/leads/%E0%A4%A');
    expect(res.status).toBe(400);
    isProblem(res);
    expect(res.body).not.toContain('%E0');
  });

  it('an invalid CORS preflight → 400 problem+json', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/api/leads', headers: { origin: 'https://site.example' } });
    expect(res.statusCode).toBe(400);
    isProblem({ type: String(res.headers['content-type']), body: res.body });
  });

  it('invalid JSON → 400 problem+json', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(res.statusCode).toBe(400);
    expect(isProblem({ type: String(res.headers['content-type']), body: res.body })).toMatchObject({ code: 'MALFORMED_BODY' });
  });
});
