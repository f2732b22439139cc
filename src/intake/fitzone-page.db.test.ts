// The FitZone landing calling Leadbridge by absolute URL (docs/capture.md "Your own page"): the CORS preflight and
// the POST from the page's origin, over real HTTP; «Источник» comes from the page when the site sends no `source`.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import { loadConfig } from '../config/index.js';
import { buildApp } from '../../test/app.js';

let tdb: TestDb;
let app: FastifyInstance;
let base: string;
const page = 'https://fitzone.example';

beforeAll(async () => {
  tdb = await createTestDb();
  const preset = loadConfig({ LEADBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN }, { configPath: fileURLToPath(new URL('../../presets/fitzone.yaml', import.meta.url)) });
  app = await buildApp({ config: { ...preset, cors: { origins: [page] } }, db: tdb });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

describe("the FitZone guide's page, by absolute URL", () => {
  it('the preflight allows the page origin named in cors.origins, and no other', async () => {
    const pre = (origin: string) =>
      fetch(`${base}/api/crm`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const ok = await pre(page);
    expect(ok.status).toBeLessThan(300);
    expect(ok.headers.get('access-control-allow-origin')).toBe(page);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect((await pre('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it("the guide's fetch body from the page is stored, «Источник» from the page, without the guide's token call", async () => {
    const res = await fetch(`${base}/api/crm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: page, referer: `${page}/` },
      body: JSON.stringify({ name: 'Иван Иванов', phone: '+7 (999) 123-45-67', direction: 'Йога', message: 'Хочу записаться на тренировку' }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(page);
    const { id } = (await res.json()) as { id: string };
    const lead = (await (await fetch(`${base}/api/leads/${id}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).json()) as { extra: Record<string, unknown> };
    expect(lead.extra).toMatchObject({ direction: 'Йога', source: 'fitzone.example' });

    // With utm_source on the page URL the site forwards it, and that wins over the referrer.
    const utm = await fetch(`${base}/api/crm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: page, referer: `${page}/` },
      body: JSON.stringify({ name: 'Пётр', phone: '+79990002233', direction: 'Бокс', utm_source: 'yandex' }),
    });
    const utmLead = (await (await fetch(`${base}/api/leads/${((await utm.json()) as { id: string }).id}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).json()) as { extra: Record<string, unknown> };
    expect(utmLead.extra.source).toBe('yandex');

    // The guide's "manual token refresh" from the page is refused, and says why, with no CORS header for the page.
    const refresh = await fetch(`${base}/api/amocrm/callback`, { method: 'POST', headers: { 'content-type': 'application/json', origin: page }, body: JSON.stringify({ refresh_token: 'x'.repeat(20) }) });
    expect(refresh.headers.get('access-control-allow-origin')).toBeNull();
  });
});
