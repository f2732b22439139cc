// Bench: follow-up steps (issue #12) against the built-in SMTP catcher (a real SMTP server on loopback) and the
// WhatsApp Cloud API emulator (real HTTP), every WA_EVERY-th enrolment a WhatsApp template, the rest email.
//   (a) throughput: N enrolments whose first step is due now → steps/s until all are sent
//   (b) lag: enrolments whose steps fall due at RATE per second → scheduling lag (sending − due) p50/p99/max
// and, over both, the most WhatsApp sends the emulator saw in any one-second window (limit: WA_RATE per second).
// Enrolments and step rows are inserted directly (the engine's own tables), the worker loop is the real one.
//
// Run:  npx tsx bench/followups.ts
// Env:  BENCH_DATABASE_URL  PostgreSQL server for a fresh database (unset = PGlite in memory)
//       BENCH_ENROLMENTS (10000)   BENCH_RATE due steps per second in phase (b) (100)   BENCH_LAG_SECONDS (30)
//       BENCH_WA_EVERY (10: one enrolment in ten gets WhatsApp)   BENCH_WA_RATE (20, the default sending limit)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config/index.js';
import { migrateDb, wrapPglite, wrapPostgres, type Db } from '../src/db/index.js';
import { createSmtpChannel, startSmtpCatcher } from '../src/email/index.js';
import { createFollowups } from '../src/followups/index.js';
import { createWhatsAppChannel } from '../src/whatsapp/index.js';
import { startWhatsAppEmulator } from '../src/whatsapp-emulator/index.js';
import { createScratchDatabase } from './lib/scratch-pg.js';
import { percentile } from './lib/stats.js';

const N = Number(process.env.BENCH_ENROLMENTS ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 30);
const WA_EVERY = Number(process.env.BENCH_WA_EVERY ?? 10);
const WA_RATE = Number(process.env.BENCH_WA_RATE ?? 20);

const YAML = `
followups: { daily_cap: 100, quiet_hours: false }
sequences:
  bench:
    trigger: { lead_captured: {} }
    steps:
      - email: { subject: "Hello {{name}}", text: "Bench message for {{name}}", html: "<p>Bench {{name}}</p>" }
  bench_wa:
    trigger: { lead_captured: {} }
    steps:
      - whatsapp: { template: lead_welcome, language: ru, params: ["{{first_name}}"] }
`;

async function openBenchDb(): Promise<{ db: Db; drop: () => Promise<void>; kind: string }> {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    const db = await wrapPglite(await PGlite.create());
    await migrateDb(db);
    return { db, drop: () => db.close(), kind: 'pglite (memory)' };
  }
  const scratch = await createScratchDatabase('bench_fu', { serverUrl: url });
  const db = wrapPostgres(new pg.Pool({ connectionString: scratch.url, max: 10 }));
  await migrateDb(db);
  return {
    db,
    kind: 'postgresql',
    drop: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

async function seed(db: Db, count: number, dueAt: (i: number) => Date): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, k) => {
      const i = start + k;
      return { id: randomUUID(), i, due: dueAt(i).toISOString(), wa: i % WA_EVERY === WA_EVERY - 1 };
    });
    const enrolments = JSON.stringify(
      rows.map((r) => ({
        id: r.id,
        seq: r.wa ? 'bench_wa' : 'bench',
        person: `email:p${r.i}-${r.id.slice(0, 6)}@bench.test`,
        vars: { name: `Person ${r.i}`, email: `p${r.i}@bench.test`, phone: `+7916${String(1_000_000 + r.i).slice(-7)}`, form: 'default', formTitle: 'Bench', fields: {}, optIn: { email: true, whatsapp: true } },
      })),
    );
    await db.db.execute(sql`insert into followup_enrolments (id, sequence_key, person_key, dedupe_key, vars)
      select (x->>'id')::uuid, x->>'seq', x->>'person', (x->>'seq') || ':' || (x->>'person'), x->'vars' from jsonb_array_elements(${enrolments}::jsonb) x`);
    const steps = JSON.stringify(rows.map((r) => ({ id: r.id, due: r.due, kind: r.wa ? 'whatsapp' : 'email' })));
    await db.db.execute(sql`insert into followup_steps (enrolment_id, step_index, kind, due_at)
      select (x->>'id')::uuid, 0, x->>'kind', (x->>'due')::timestamptz from jsonb_array_elements(${steps}::jsonb) x`);
  }
}


async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-bench-fu-'));
  writeFileSync(join(dir, 'leadbridge.yaml'), YAML);
  const config = loadConfig({}, { configPath: join(dir, 'leadbridge.yaml') });
  const { db, drop, kind } = await openBenchDb();
  const catcher = await startSmtpCatcher({ keep: N * 2 + 10 });
  const email = createSmtpChannel({ url: catcher.url, from: 'Bench <bench@bench.test>', ignoreTLS: true, ratePerSecond: 10_000, maxConnections: 5 });
  // The emulator's own limit (Meta's default 80/s) is above ours, so a 130429 here would mean our limiter failed.
  const emulator = await startWhatsAppEmulator({ statusDelaysMs: { read: false } });
  const whatsapp = createWhatsAppChannel({ apiUrl: emulator.url, graphVersion: 'v23.0', token: emulator.config.token, phoneNumberId: emulator.config.phoneNumberId, ratePerSecond: WA_RATE, db: db.db, account: 'default' });
  const fu = createFollowups({ db: db.db, config, account: 'default', channels: { email, whatsapp }, pipelines: async () => undefined, consume: false, options: { batchSize: 100, concurrency: Number(process.env.BENCH_CONCURRENCY ?? 16), rounds: Number(process.env.BENCH_ROUNDS ?? 3), pollMs: 50 } });
  const sent = () => catcher.messages().length + emulator.control.messages().length;
  console.log(`followups bench: ${kind}, ${N} enrolments (1 in ${WA_EVERY} WhatsApp at ≤ ${WA_RATE}/s), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  try {
    // (a) throughput
    await seed(db, N, () => new Date(Date.now() - 1000));
    const t0 = Date.now();
    fu.start();
    while (sent() < N) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    const secs = (Date.now() - t0) / 1000;
    console.log(`(a) throughput: ${N} steps (${catcher.messages().length} email, ${emulator.control.messages().length} WhatsApp) in ${secs.toFixed(1)} s → ${(N / secs).toFixed(0)} steps/s`);
    // (b) lag at RATE due steps per second
    const M = RATE * LAG_SECONDS;
    await db.db.execute(sql`delete from followup_steps`);
    await db.db.execute(sql`delete from followup_enrolments`);
    catcher.clear();
    const waBefore = emulator.control.messages().length;
    const start = Date.now() + 2000;
    await seed(db, M, (i) => new Date(start + (i * 1000) / RATE));
    while (catcher.messages().length + emulator.control.messages().length - waBefore < M) await new Promise((r) => setTimeout(r, 100));
    const res = await db.db.execute(sql`select extract(epoch from (sending_at - due_at)) * 1000 as lag from followup_steps where status = 'sent'`);
    const lags = (res as unknown as { rows: { lag: number | string }[] }).rows.map((r) => Number(r.lag)).sort((a, b) => a - b);
    console.log(`(b) lag at ${RATE} due steps/s over ${LAG_SECONDS} s (${lags.length} steps): p50 ${percentile(lags, 50).toFixed(0)} ms, p99 ${percentile(lags, 99).toFixed(0)} ms, max ${(lags.at(-1) ?? NaN).toFixed(0)} ms (target p99 < 5000 ms)`);
    const refused = emulator.control.arrivals().filter((a) => a.status !== 200).length;
    console.log(`WhatsApp: at most ${emulator.control.maxPerSecond()} sends in any one-second window (limit ${WA_RATE}/s), ${refused} refused by the emulator`);
  } finally {
    await fu.stop();
    email.close();
    await catcher.close();
    await emulator.close();
    await drop();
  }
}

await main();
