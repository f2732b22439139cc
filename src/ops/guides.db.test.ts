// The two setup guides (../shared/seeds, Russian), call by call as written, against a real sandbox server (the
// built-in emulator, real HTTP, the real OAuth flow) with each preset and with the default leadbridge.yaml.
// The server reads its settings from a `.env` file in its directory, as a new user's `cp .env.example .env` does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDb, pgliteDump, type TestDb } from '../../test/db.js';
import { startServer, type Server } from '../main.js';

const ADMIN = 'guide-admin-token-0123456789abcdef';
const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const open: { server?: Server; tdb?: TestDb }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.server?.close();
    await o.tdb?.cleanup();
  }
});

/** A sandbox server whose settings come from `<dir>/.env` (config file, admin token), on PGlite or TEST_DATABASE_URL. */
async function sandbox(configFile: string): Promise<{ server: Server; base: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-guide-'));
  const env: Record<string, string> = { LEADBRIDGE_CONFIG: configFile, LEADBRIDGE_ADMIN_TOKEN: ADMIN, LEADBRIDGE_DATA_DIR: dir };
  const slot: { server?: Server; tdb?: TestDb } = {};
  open.push(slot);
  if (process.env.TEST_DATABASE_URL) {
    slot.tdb = await createTestDb();
    env.DATABASE_URL = slot.tdb.url as string;
  } else {
    const seed = await PGlite.create(join(dir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
  }
  writeFileSync(join(dir, '.env'), `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  slot.server = await startServer({ env: { LOG_LEVEL: 'silent', LEADBRIDGE_EMULATOR_PORT: '0' }, envDir: dir, port: 0, host: '127.0.0.1' });
  const addr = slot.server.app.server.address();
  return { server: slot.server, base: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, dir };
}

const json = { 'content-type': 'application/json' };
const admin = { authorization: `Bearer ${ADMIN}` };

async function delivered(base: string, id: string): Promise<{ amo_lead_id: number; status: string }> {
  for (let i = 0; i < 600; i++) {
    const lead = (await (await fetch(`${base}/api/leads/${id}`, { headers: admin })).json()) as { status: string; amo_lead_id: number; last_error: unknown };
    if (lead.status === 'delivered') return lead;
    if (lead.status === 'failed' || lead.status === 'dead') throw new Error(`lead ${lead.status}: ${JSON.stringify(lead.last_error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('lead not delivered within 60 s');
}

type EmuLead = { id: number; pipeline_id: number; custom_fields_values: { field_name: string; values: { value: unknown }[] }[] | null; _embedded: { contacts: { id: number }[] } };
type EmuContact = { id: number; custom_fields_values: { field_name?: string; field_code?: string; values: { value: unknown }[] }[] | null };

function emuState(server: Server) {
  const emu = server.connect.sandbox?.emulator;
  if (!emu) throw new Error('not in the sandbox');
  return emu.control.state() as unknown as { leads: EmuLead[]; contacts: EmuContact[]; pipelines: { id: number; name: string; _embedded: { statuses: { name: string }[] } }[] };
}

const fieldValues = (cfs: { field_name?: string; field_code?: string; values: { value: unknown }[] }[] | null) =>
  Object.fromEntries((cfs ?? []).map((f) => [f.field_name ?? f.field_code, f.values.map((v) => v.value).join(', ')]));

/** Asia Deals guide (000): Test 1, Test 2, Test 3, the install link, /health, /docs. */
async function asiaDealsGuide(server: Server, base: string): Promise<void> {
  // Test 1: GET /api/auth/amo/status
  const status = await fetch(`${base}/api/auth/amo/status`);
  expect(status.status).toBe(200);
  expect(await status.json()).toMatchObject({ connected: true, state: 'connected', sandbox: true });

  // Test 2: POST /api/leads/ without a form
  const res = await fetch(`${base}/api/leads/`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name: 'Тест Тестов', phone: '+79001234567', email: 'test@example.com', utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'asia_deals_test' }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const lead = await delivered(base, id);
  const deal = emuState(server).leads.find((l) => l.id === lead.amo_lead_id);
  expect(deal).toBeDefined();
  const pipeline = emuState(server).pipelines.find((p) => p.id === deal?.pipeline_id);
  expect(pipeline?.name).toBe('Asia Deals');
  expect(pipeline?._embedded.statuses.map((s) => s.name)).toEqual(
    expect.arrayContaining(['Новый лид', 'Первичный контакт', 'Презентация', 'Выбор объекта', 'Резервирование', 'Сделка', 'Завершено']),
  );
  // amoCRM's own tracking fields on the deal are named utm_source, utm_medium…
  expect(fieldValues(deal?.custom_fields_values ?? null)).toMatchObject({ utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'asia_deals_test' });
  // The contact's UTM fields (the guide's contact table) are filled, not only created.
  const contact = emuState(server).contacts.find((c) => c.id === deal?._embedded.contacts[0]?.id);
  expect(fieldValues(contact?.custom_fields_values ?? null)).toMatchObject({ 'UTM Source': 'google', 'UTM Medium': 'cpc', 'UTM Campaign': 'asia_deals_test' });

  // Test 3: POST /api/webhooks/amo as written (no secret) → 401 that says where the real URL is.
  const test3 = { leads: { add: [{ id: 123, name: 'Тестовая сделка' }] } };
  const refused = await fetch(`${base}/api/webhooks/amo`, { method: 'POST', headers: json, body: JSON.stringify(test3) });
  expect(refused.status).toBe(401);
  expect(((await refused.json()) as { detail: string }).detail).toContain('leadbridge webhook-url');
  // …and with the URL `leadbridge webhook-url` prints (the admin endpoint behind it), the same body is accepted.
  const { url } = (await (await fetch(`${base}/api/admin/webhook-url`, { headers: admin })).json()) as { url: string };
  const secretPath = new URL(url).pathname;
  const ok = await fetch(`${base}${secretPath}`, { method: 'POST', headers: json, body: JSON.stringify(test3) });
  expect(ok.status).toBe(200);

  // Step 7: the install link redirects to amoCRM's consent page; "Проверьте статус": /health; "/docs".
  const install = await fetch(`${base}/api/auth/amo`, { redirect: 'manual' });
  expect(install.status).toBe(302);
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect((await fetch(`${base}/docs`, { redirect: 'follow' })).status).toBe(200);
}

/** FitZone guide (003): /api/amocrm/auth, POST /api/crm, GET /api/amocrm/callback (status), POST refresh (admin only). */
async function fitZoneGuide(server: Server, base: string): Promise<void> {
  const auth = (await (await fetch(`${base}/api/amocrm/auth`)).json()) as { auth_url: string };
  expect(auth.auth_url).toMatch(/^http/);

  // The landing page's fetch: no `source` in the body, so "Источник" comes from the page that sent it.
  const res = await fetch(`${base}/api/crm`, {
    method: 'POST',
    headers: { ...json, referer: 'https://fitzone.example/landing?x=1' },
    body: JSON.stringify({ name: 'Иван Иванов', phone: '+7 (999) 123-45-67', direction: 'Йога', message: 'Хочу записаться на тренировку' }),
  });
  expect(res.status).toBe(202);
  const lead = await delivered(base, ((await res.json()) as { id: string }).id);
  const deal = emuState(server).leads.find((l) => l.id === lead.amo_lead_id);
  expect(fieldValues(deal?.custom_fields_values ?? null)).toMatchObject({
    Телефон: '+79991234567',
    'Направление тренировки': 'Йога',
    Источник: 'fitzone.example',
  });

  const status = await fetch(`${base}/api/amocrm/callback`);
  expect(status.status).toBe(200);
  expect(await status.json()).toMatchObject({ connected: true });

  // "Ручное обновление токена" from the browser: admin-only, and the answer says so.
  const refresh = await fetch(`${base}/api/amocrm/callback`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: 'your-refresh-token' }) });
  expect(refresh.status).toBe(401);
  const problem = (await refresh.json()) as { code: string; detail: string };
  expect(problem.code).toBe('ADMIN_ONLY');
  expect(problem.detail).toContain('admin');
}

describe('the setup guides, as written', () => {
  it('Asia Deals guide with presets/asia-deals.yaml', async () => {
    const { server, base } = await sandbox(repo('presets/asia-deals.yaml'));
    expect(server.config.defaultForm).toBe('asia-deals');
    expect(server.config.envFiles?.[0]).toMatch(/\.env$/);
    await asiaDealsGuide(server, base);
  }, 180_000);

  it('FitZone guide with presets/fitzone.yaml', async () => {
    const { server, base } = await sandbox(repo('presets/fitzone.yaml'));
    await fitZoneGuide(server, base);
  }, 180_000);

  it('both guides with the default leadbridge.yaml', async () => {
    const { server, base } = await sandbox(repo('leadbridge.yaml'));
    await asiaDealsGuide(server, base);
    await fitZoneGuide(server, base);
  }, 240_000);
});
