import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { TEST_ADMIN_TOKEN, testConfig } from '../../test/config.js';
import { buildApp, type RouteContext } from '../../test/app.js';
import { createLogger } from '../logger.js';

let tdb: TestDb;
let app: FastifyInstance;
const metrics = new Registry();

// An extra domain plugin, the way connect/webhooks/admin will plug in.
const pingRoutes = (ctx: RouteContext): FastifyPluginAsync => async (a) => {
  a.get('/api/admin/ping', { preHandler: ctx.requireAdmin }, async () => ({ pong: true }));
  a.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
};

beforeAll(async () => {
  tdb = await createTestDb();
  app = await buildApp({
    config: testConfig(),
    db: tdb,
    metrics,
    healthChecks: {
      amocrm: async () => ({ ok: true, state: 'sandbox' }),
      queue: async () => ({ ok: true, depth: 3 }),
    },
    extraRoutes: [pingRoutes],
  });
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

describe('buildApp', () => {
  it('serves the OpenAPI document listing the routes, and Swagger UI at /docs', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/leads', '/api/crm', '/api/leads/{id}', '/health', '/metrics']));
    expect(doc.paths['/api/leads'].post.requestBody.content['application/json'].schema.properties.phone).toBeDefined();
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('reports health: database, plugged-in checks and sandbox', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      sandbox: true,
      checks: { database: { ok: true, kind: tdb.kind }, amocrm: { ok: true, state: 'sandbox' }, queue: { ok: true, depth: 3 } },
    });
  });

  it('reports degraded when an optional check fails', async () => {
    const local = await buildApp({ config: testConfig(), db: tdb, healthChecks: { amocrm: async () => ({ ok: false, state: 'disconnected' }) } });
    try {
      const res = await local.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('degraded');
      expect(res.json().reasons).toEqual(['amocrm: not ok']);
    } finally {
      await local.close();
    }
  });

  it('exposes Prometheus metrics from the shared registry', async () => {
    await app.inject({ method: 'POST', url: '/api/leads', payload: { email: 'metrics@example.com' } });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('leadbridge_leads_received_total{form="other",result="accepted"} 1');
    expect(res.body).toContain('leadbridge_http_requests_total');
  });

  it('protects /metrics with LEADBRIDGE_METRICS_TOKEN (or the admin token)', async () => {
    const metricsToken = 'metrics-token-0123456789abcdef';
    const local = await buildApp({ config: testConfig({ metricsToken }), db: tdb });
    try {
      const wrong = await local.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope-nope-nope-nope' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().detail).toContain('LEADBRIDGE_METRICS_TOKEN');
      for (const token of [metricsToken, TEST_ADMIN_TOKEN]) {
        expect((await local.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      }
    } finally {
      await local.close();
    }
  });

  it('registers extra route plugins with the admin guard', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/admin/ping' })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: '/api/admin/ping', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(ok.json()).toEqual({ pong: true });
  });

  it('answers unknown errors with 500 and the request id only', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toMatchObject({ code: 'INTERNAL_ERROR', status: 500, request_id: res.headers['x-request-id'] });
    expect(res.body).not.toContain('secret internal detail');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('NOT_FOUND');
  });

  it('answers CORS preflights for the configured origins', async () => {
    const res = await app.inject({
      method: 'OPTIONS', url: '/api/leads',
      headers: { origin: 'https://landing.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('refuses admin endpoints when no admin token is configured', async () => {
    const local = await buildApp({ config: testConfig({ adminToken: undefined }), db: tdb });
    try {
      const res = await local.inject({ method: 'GET', url: '/api/leads/00000000-0000-4000-8000-000000000000', headers: { authorization: 'Bearer ' } });
      expect(res.statusCode).toBe(401);
    } finally {
      await local.close();
    }
  });

  it('logs one line per request with the route pattern, never the path, query or personal data', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const local = await buildApp({ config: testConfig(), db: tdb, logger: createLogger('info', sink) });
    try {
      const res = await local.inject({ method: 'POST', url: '/api/leads?token=abc', payload: { phone: '+79123456789', email: 'who@example.ru' } });
      expect(res.statusCode).toBe(202);
      const perRequest = lines.filter((l) => l.reqId === res.headers['x-request-id']);
      expect(perRequest).toHaveLength(1);
      expect(perRequest[0]).toMatchObject({ msg: 'request completed', method: 'POST', route: '/api/leads', statusCode: 202 });
      expect(lines.filter((l) => l.msg === 'lead captured' && l.leadId === res.json().id)).toHaveLength(1);
      const text = JSON.stringify(lines);
      for (const secret of ['token=abc', '+79123456789', 'who@example.ru']) expect(text).not.toContain(secret);
    } finally {
      await local.close();
    }
  });
});
