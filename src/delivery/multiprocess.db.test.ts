// Two worker processes on one PostgreSQL deliver 200 leads: each exactly once, the shared limiter keeps amoCRM at
// ≤ 7 requests in any second (no 429). Needs PostgreSQL (TEST_DATABASE_URL; CI sets it): PGlite is one process.
// The 1,000-lead version is bench/delivery-multiprocess.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { leads } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { maxRequestsPerSecond, spawnWorker, type ChildWorker } from '../../test/children/worker.js';

const N = 200;
const url = process.env.TEST_DATABASE_URL;
if (!url) {
  process.stdout.write('multiprocess.db.test.ts: skipped — set TEST_DATABASE_URL (PostgreSQL) to run two worker processes on one database\n');
}
const children: ChildWorker[] = [];
let emu: RunningEmulator | undefined;
let tdb: TestDb | undefined;
let dir: string | undefined;

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await emu?.close();
  await tdb?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(url)('two worker processes on one PostgreSQL', () => {
  it('deliver every lead once within 7 requests per second, without a 429', async () => {
    tdb = await createTestDb();
    const app = await buildApp({ config: testConfig({ rateLimit: { perIpPerMinute: 100_000 } }), db: tdb });
    for (let i = 0; i < N; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { form: 'mp', name: `MP ${i}`, phone: `+7 919 ${String(10000000 + i).slice(1)}` } });
      expect(res.statusCode).toBe(202);
    }
    await app.close();

    emu = await startEmulator({ port: 0, latencyMs: 150, rateLimit: { perIntegration: 7, perAccount: 50 } });
    const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
    const created = await fetch(`${emu.url}/api/v4/leads/custom_fields`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }]),
    });
    expect(created.status).toBe(200);
    // Small batches so the 200 leads take ~25 calls per process pair: enough to hit the shared rate limit.
    dir = mkdtempSync(join(tmpdir(), 'leadbridge-mp-'));
    const configPath = join(dir, 'leadbridge.yaml');
    writeFileSync(configPath, 'delivery:\n  batch_size: 10\n');
    for (let i = 0; i < 2; i++) {
      children.push(
        spawnWorker({
          databaseUrl: tdb.url as string,
          amoBaseUrl: emu.url,
          amoDomain: emu.config.domain,
          token: access_token,
          configPath,
          // The suite runs other test files in parallel on 2 cores: arrival stamps at the emulator jitter by up to
          // ~150 ms, so slots are spaced 25 % wider here (production default 10 %).
          args: ['--contact-lookup', 'local_only', '--poll-ms', '100', '--rate-margin', '0.25'],
        }),
      );
    }
    const until = Date.now() + 60_000;
    for (;;) {
      const rows = await tdb.db.select({ status: leads.status }).from(leads);
      if (rows.every((r) => r.status === 'delivered')) break;
      if (Date.now() > until) throw new Error(`not delivered in time: ${children.map((c) => c.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const c of children) c.kill('SIGTERM');
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);

    const state = emu.control.state() as {
      leads: { id: number; custom_fields_values: { field_code: string; values: { value: string }[] }[] | null }[];
      calls: { at: number; path: string; status: number }[];
    };
    const markers = state.leads.map((l) => l.custom_fields_values?.find((f) => f.field_code === 'LEADBRIDGE_ID')?.values[0]?.value);
    expect(state.leads).toHaveLength(N);
    expect(new Set(markers).size).toBe(N);
    const rows = await tdb.db.select().from(leads);
    const byMarker = new Map(state.leads.map((l, i) => [markers[i], l.id]));
    for (const r of rows) expect(r.amoLeadId).toBe(byMarker.get(r.id));
    const api = state.calls.filter((c) => c.path.startsWith('/api/v4'));
    expect(api.filter((c) => c.status === 429)).toHaveLength(0);
    expect(maxRequestsPerSecond(api.map((c) => c.at))).toBeLessThanOrEqual(7);
    // Both processes did work (the outbox is shared, not owned).
    const workers = await tdb.db.execute(
      sql`select count(distinct detail->>'worker')::int as n from lead_events where type = 'claimed'`,
    );
    expect(Number((workers as unknown as { rows: { n: number }[] }).rows[0]?.n)).toBe(2);
  }, 120_000);
});
