// The worker is SIGKILLed while amoCRM holds the answer to deals it already created; a restarted worker sweeps the
// stale claims, looks the deals up by marker and delivers every lead exactly once. PostgreSQL with
// TEST_DATABASE_URL, otherwise a PGlite data dir handed from this process to the child.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { openDb, leads, type Db } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { spawnWorker, type ChildWorker } from '../../test/children/worker.js';

const N = 120;
const COMPLEX = '/api/v4/leads/complex';
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

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function submitLeads(db: Db): Promise<void> {
  const app = await buildApp({ config: testConfig({ rateLimit: { perIpPerMinute: 100_000 } }), db });
  try {
    for (let i = 0; i < N; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { form: 'crash', name: `Crash ${i}`, phone: `+7 918 ${String(10000000 + i).slice(1)}` } });
      expect(res.statusCode).toBe(202);
    }
  } finally {
    await app.close();
  }
}

describe('a worker killed mid-batch', () => {
  it('delivers every lead exactly once after a restart', async () => {
    const pgUrl = process.env.TEST_DATABASE_URL;
    let db: Db;
    if (pgUrl) {
      tdb = await createTestDb();
      db = tdb;
    } else {
      dir = mkdtempSync(join(tmpdir(), 'leadbridge-crash-'));
      db = await openDb({ dataDir: dir });
    }
    await submitLeads(db);
    if (!pgUrl) await db.close(); // the child takes the data dir over

    emu = await startEmulator({ port: 0, rateLimit: false });
    await (await fetch(`${emu.url}/_emulator/health`)).text();
    const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
    const api = (path: string, body: unknown) =>
      fetch(emu!.url + path, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await api('/api/v4/leads/custom_fields', [{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }])).status).toBe(200);
    // The first two complex calls create their deals, then hold the answer long enough to be killed.
    emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', delayMs: 5000, count: 2 });

    const common = {
      ...(pgUrl && tdb?.url ? { databaseUrl: tdb.url } : { dataDir: dir as string }),
      amoBaseUrl: emu.url,
      amoDomain: emu.config.domain,
      token: access_token,
      args: ['--claim-timeout-ms', '2500', '--request-timeout-ms', '10000', '--poll-ms', '100', '--per-second', '100', '--contact-lookup', 'local_only'],
    };
    const first = spawnWorker(common);
    children.push(first);
    const calls = () => (emu!.control.state().calls as { path: string; method: string }[]).filter((c) => c.method === 'POST' && c.path === COMPLEX);
    await waitFor(() => (calls().length >= 2 ? true : undefined), 120_000, `two complex calls (worker output: ${first.output()})`);
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const dealsBefore = (emu.control.state().leads as unknown[]).length;
    expect(dealsBefore).toBeGreaterThanOrEqual(50); // the killed worker's deals exist in amoCRM

    const second = spawnWorker(common);
    children.push(second);
    const notedDeals = () => new Set((emu!.control.state().notes as { entity_id: number }[]).map((n) => n.entity_id)).size;
    await waitFor(() => (notedDeals() >= N ? true : undefined), 120_000, `every lead noted (worker output: ${second.output()})`);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const state = emu.control.state() as { leads: { id: number; custom_fields_values: { field_code: string; values: { value: string }[] }[] | null }[] };
    const markerOf = (l: (typeof state.leads)[number]) => l.custom_fields_values?.find((f) => f.field_code === 'LEADBRIDGE_ID')?.values[0]?.value;
    const markers = state.leads.map(markerOf);
    expect(markers.every((m) => typeof m === 'string')).toBe(true);
    expect(new Set(markers).size).toBe(N);
    expect(state.leads).toHaveLength(N);

    const check = pgUrl ? db : await openDb({ dataDir: dir as string });
    try {
      const rows = await check.db.select().from(leads);
      expect(rows).toHaveLength(N);
      expect(rows.every((r) => r.status === 'delivered')).toBe(true);
      const byMarker = new Map(state.leads.map((l) => [markerOf(l), l.id]));
      for (const r of rows) expect(r.amoLeadId).toBe(byMarker.get(r.id));
    } finally {
      if (!pgUrl) await check.close();
    }
  }, 300_000);
});
