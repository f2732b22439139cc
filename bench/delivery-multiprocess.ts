// Bench: two `leadbridge worker` processes on one PostgreSQL deliver 1,000 leads into the emulator (its own process,
// 7 req/s + 150 ms latency). Checks: each lead delivered once, ≤ 7 requests in any 1 s window, no 429.
// Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/delivery-multiprocess.ts [--leads 1000] [--workers 2]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import pg from 'pg';
import { leads, migrateDb, wrapPostgres } from '../src/db/index.js';
import { spawnWorker } from '../test/children/worker.js';
import { apiCalls, benchEmulator, loadLeads, maxPerSecond } from './delivery-lib.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const N = Number(arg('leads', '1000'));
const WORKERS = Number(arg('workers', '2'));
const admin = process.env.DATABASE_URL;
if (!admin) {
  console.log('delivery-multiprocess: set DATABASE_URL (PostgreSQL); several processes cannot share embedded PGlite');
  process.exit(2);
}

const name = `lb_mp_${randomBytes(4).toString('hex')}`;
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`create database ${name}`);
await client.end();
const u = new URL(admin);
u.pathname = `/${name}`;
const dbUrl = u.toString();
const db = wrapPostgres(new pg.Pool({ connectionString: dbUrl, max: 4 }));
const dir = mkdtempSync(join(tmpdir(), 'leadbridge-mpb-'));
try {
  await migrateDb(db);
  await loadLeads(db.db, N, 'bench', 9_300_000_000);
  const emu = await benchEmulator(150);
  const configPath = join(dir, 'leadbridge.yaml');
  writeFileSync(configPath, 'delivery:\n  batch_size: 50\n');
  const started = Date.now();
  const workers = Array.from({ length: WORKERS }, () =>
    spawnWorker({ databaseUrl: dbUrl, amoBaseUrl: emu.url, amoDomain: emu.domain, token: emu.token, configPath, args: ['--contact-lookup', 'local_only'] }),
  );
  for (;;) {
    const n = (await db.db.select({ n: count() }).from(leads).where(eq(leads.status, 'delivered')))[0]?.n ?? 0;
    if (n >= N) break;
    if (Date.now() - started > 120_000) throw new Error(`timed out at ${n}/${N}: ${workers.map((w) => w.output()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - started) / 1000;
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  const state = (await emu.state()) as unknown as { leads: { custom_fields_values: { field_code: string; values: { value: string }[] }[] | null }[] };
  const markers = state.leads.map((l) => l.custom_fields_values?.find((f) => f.field_code === 'LEADBRIDGE_ID')?.values[0]?.value);
  const unique = new Set(markers).size;
  const calls = await apiCalls(emu);
  const r429 = calls.filter((c) => c.status === 429).length;
  const windowMax = maxPerSecond(calls);
  await emu.close();
  const pass = unique === N && state.leads.length === N && r429 === 0 && windowMax <= 7;
  console.log(`delivery multiprocess bench: ${WORKERS} worker processes, PostgreSQL, lookup mode = local_only, emulator 7 req/s + 150 ms latency`);
  console.log(`${N} leads delivered in ${seconds.toFixed(1)} s (${(N / seconds).toFixed(0)} leads/s incl. process start-up)`);
  console.log(`deals in amoCRM: ${state.leads.length}, distinct lead markers: ${unique} (each delivered once: ${unique === N && state.leads.length === N})`);
  console.log(`amoCRM calls: ${calls.length}; 429s: ${r429}; most requests in any 1 s window: ${windowMax} (limit 7)`);
  console.log(`RESULT ${pass ? 'PASS' : 'FAIL'} delivery-multiprocess leads=${N} once=${unique === N} 429=${r429} maxWindow=${windowMax}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.end();
}
