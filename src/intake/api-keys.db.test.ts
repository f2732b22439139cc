// Per-source API keys (issue #9): a site backend forwarding every visitor from ONE address is not throttled by the
// per-IP limit when it sends its key; anonymous posts keep the per-IP limit; a wrong key is a 401 with a code.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { leads } from '../db/index.js';
import { buildApp } from '../../test/app.js';

const SITE_KEY = 'site-backend-key-0123456789abcdef';
const PARTNER_KEY = 'partner-key-fedcba9876543210';

function configWith(yaml: string, env: NodeJS.ProcessEnv = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-keys-'));
  writeFileSync(join(dir, 'leadbridge.yaml'), yaml);
  return loadConfig({ LEADBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env }, { configPath: join(dir, 'leadbridge.yaml') });
}

const YAML = `
rate_limit: { per_ip_per_minute: 30 }
api_keys:
  - { name: site-backend, key_env: SITE_BACKEND_KEY }
  - name: partner
    key_sha256: ${createHash('sha256').update(PARTNER_KEY).digest('hex')}
    per_minute: 5
`;

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
}, 120_000);
afterAll(async () => {
  await tdb?.cleanup();
});

const lead = (i: number) => ({ name: `Посетитель ${i}`, phone: `+7900${String(1_000_000 + i).slice(-7)}`, utm_source: 'google' });

describe('per-source API keys', () => {
  it('1,000 leads from one address with the key are all accepted; the key names the source on every lead', async () => {
    const config = configWith(YAML, { SITE_BACKEND_KEY: SITE_KEY });
    expect(config.apiKeys.map((k) => [k.name, k.perMinute])).toEqual([['site-backend', 6000], ['partner', 5]]);
    expect(JSON.stringify(config)).not.toContain(SITE_KEY); // only the digest is kept
    const app = await buildApp({ config, db: tdb });
    try {
      const codes: number[] = [];
      for (let start = 0; start < 1000; start += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            app.inject({ method: 'POST', url: '/api/leads', headers: { 'x-api-key': SITE_KEY }, payload: lead(start + j) }),
          ),
        );
        codes.push(...batch.map((r) => r.statusCode));
      }
      expect(codes.filter((c) => c === 202)).toHaveLength(1000);
      const [row] = await tdb.db.select({ n: sql<number>`count(*)::int` }).from(leads).where(eq(leads.sourceKey, 'site-backend'));
      expect(row?.n).toBe(1000);

      // The lead's view names the key, and its timeline says which key sent it.
      const one = await app.inject({ method: 'POST', url: '/api/crm', headers: { 'x-api-key': SITE_KEY }, payload: { name: 'Иван', phone: '+79990001122', direction: 'Йога' } });
      expect(one.statusCode).toBe(202);
      const view = await app.inject({ method: 'GET', url: `/api/leads/${one.json().id}`, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(view.json()).toMatchObject({ source: 'api', source_key: 'site-backend', timeline: [{ type: 'received', detail: { api_key: 'site-backend' } }] });
    } finally {
      await app.close();
    }
  }, 300_000);

  it('without a key the same address keeps the per-IP limit; a key has its own limit, separate from the IP', async () => {
    const config = configWith(YAML, { SITE_BACKEND_KEY: SITE_KEY });
    const app = await buildApp({ config, db: tdb });
    try {
      const anon: number[] = [];
      for (let i = 0; i < 35; i++) anon.push((await app.inject({ method: 'POST', url: '/api/leads', remoteAddress: '203.0.113.7', payload: lead(2000 + i) })).statusCode);
      expect(anon.filter((c) => c === 202)).toHaveLength(30);
      expect(anon.slice(30)).toEqual([429, 429, 429, 429, 429]);
      const limited = await app.inject({ method: 'POST', url: '/api/leads', remoteAddress: '203.0.113.7', payload: lead(2100) });
      expect(limited.headers['content-type']).toContain('application/problem+json');
      expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });

      // The same, throttled address with the partner's key (hashed in the file, 5 a minute): its own bucket.
      const partner: number[] = [];
      for (let i = 0; i < 7; i++) {
        partner.push((await app.inject({ method: 'POST', url: '/api/leads', remoteAddress: '203.0.113.7', headers: { 'x-api-key': PARTNER_KEY }, payload: lead(2200 + i) })).statusCode);
      }
      expect(partner).toEqual([202, 202, 202, 202, 202, 429, 429]);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('a wrong key is 401 problem+json API_KEY_INVALID and stores nothing', async () => {
    const config = configWith(YAML, { SITE_BACKEND_KEY: SITE_KEY });
    const app = await buildApp({ config, db: tdb });
    try {
      const before = await tdb.db.select({ n: sql<number>`count(*)::int` }).from(leads);
      for (const url of ['/api/leads', '/api/leads/', '/api/crm']) {
        const r = await app.inject({ method: 'POST', url, headers: { 'x-api-key': `${SITE_KEY}x` }, payload: lead(3000) });
        expect(r.statusCode).toBe(401);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(r.json()).toMatchObject({ status: 401, code: 'API_KEY_INVALID' });
        expect(r.body).not.toContain(SITE_KEY);
      }
      const after = await tdb.db.select({ n: sql<number>`count(*)::int` }).from(leads);
      expect(after[0]?.n).toBe(before[0]?.n);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('a key variable that is unset, short or a placeholder stops the start, naming the variable', () => {
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        configWith(YAML, env);
        return [];
      } catch (e) {
        return e instanceof ConfigError ? e.problems : [String(e)];
      }
    };
    expect(problems({}).join('\n')).toMatch(/SITE_BACKEND_KEY: api key "site-backend" needs this variable set/);
    expect(problems({ SITE_BACKEND_KEY: 'short' }).join('\n')).toMatch(/SITE_BACKEND_KEY/);
    expect(problems({ SITE_BACKEND_KEY: 'your_api_key_goes_here' }).join('\n')).toMatch(/SITE_BACKEND_KEY: .*placeholder/);
    expect(problems({ SITE_BACKEND_KEY: SITE_KEY })).toEqual([]);
    expect(() => configWith('api_keys:\n  - { name: a }\n')).toThrow(/exactly one of key_env/);
  });
});
