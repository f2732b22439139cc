// Bench: lead intake (issue #3). Starts Leadbridge's HTTP app (intake only: no delivery worker, no queue) on
// PGlite (temp dir) and on PostgreSQL (a fresh database, dropped after), and drives it from a SEPARATE load
// generator process (bench/lib/load.ts):
//   (a) closed loop, 64 connections, 10 s  → accepted leads/s      target on PostgreSQL: ≥ 2,000 leads/s
//   (b) open loop, 500 req/s, 10 s          → p50/p99/max latency   target on PostgreSQL: p99 < 50 ms
// After each phase the rows in `leads` (and `lead_events`) must equal the 202s received: nothing lost.
//
// Run:  npx tsx bench/intake.ts
// Env:  BENCH_DATABASE_URL  server on which the fresh database is created (default postgres://postgres@127.0.0.1:5432/postgres)
//       BENCH_TARGETS       pglite,postgres (default both)      BENCH_SECONDS  phase length (default 10)
//       BENCH_CONNECTIONS   closed-loop connections (64)        BENCH_RATE     open-loop rate (500)
//       BENCH_LOG_LEVEL     the app's log level (info; lines go to /dev/null, so their cost is measured)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { openDb, type Db } from '../src/db/index.js';
import { createLogger } from '../src/logger.js';
import { buildApp } from '../test/app.js';
import type { PhaseCommand, PhaseResult } from './lib/load.js';
import { backendCpuMs } from './lib/pg-cpu.js';

type Target = 'pglite' | 'postgres';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGETS = (process.env.BENCH_TARGETS ?? 'pglite,postgres').split(',').map((t) => t.trim()) as Target[];
const TARGET_LEADS_PER_SEC = 2000;
const TARGET_P99_MS = 50;

interface PhaseRow {
  target: Target;
  phase: string;
  result: PhaseResult;
  /** CPU time of this process (the server) per accepted lead: robust to other load on the machine. */
  cpuMsPerLead: number;
  /** CPU of the PostgreSQL backends per accepted lead (local PostgreSQL only). */
  dbCpuMsPerLead?: number;
  rows: number;
  events: number;
  expectedRows: number;
}

/** A database for one run: PGlite in a temp dir, or a fresh PostgreSQL database dropped afterwards. */
async function openTarget(target: Target): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (target === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'lb-bench-intake-'));
    const db = await openDb({ dataDir: dir, migrate: true });
    return { db, cleanup: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const name = `lb_bench_intake_${randomBytes(4).toString('hex')}`;
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDb({ url: url.toString(), migrate: true });
  return { db, cleanup: async () => (await db.close(), await admin(`drop database if exists ${name} with (force)`)) };
}

function startLoadGenerator(): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./lib/load.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`unexpected ${String(m)}`))));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

function runPhase(child: ChildProcess, cmd: PhaseCommand): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`load generator exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as PhaseResult);
    });
    child.send(cmd);
  });
}

async function counts(db: Db): Promise<{ rows: number; events: number }> {
  const res = await db.executeSql('select (select count(*) from leads)::int as rows, (select count(*) from lead_events)::int as events');
  const r = res.rows[0] ?? {};
  return { rows: Number(r.rows), events: Number(r.events) };
}

async function benchTarget(target: Target, out: PhaseRow[]): Promise<void> {
  const cfgDir = mkdtempSync(join(tmpdir(), 'lb-bench-cfg-'));
  const configPath = join(cfgDir, 'leadbridge.yaml');
  // The per-IP limit stays ON (its cost is part of the path), raised to the config's maximum; the load
  // generator spreads its connections over 8 loopback addresses, so no address comes near it.
  writeFileSync(configPath, 'rate_limit:\n  per_ip_per_minute: 100000\n');
  const config = loadConfig({ LOG_LEVEL: LOG_LEVEL }, { configPath });
  // The production logger (createLogger: redaction, synchronous writes like its stdout default), into /dev/null.
  const logger = createLogger(LOG_LEVEL, pino.destination({ dest: '/dev/null', sync: true }));
  const { db, cleanup } = await openTarget(target);
  const app = await buildApp({ config, db, logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const child = await startLoadGenerator();
  const runId = randomBytes(4).toString('hex');
  let index = 0;
  let accepted = 0;
  try {
    const phases: [string, PhaseCommand][] = [
      ['warm-up', { kind: 'closed', origin, runId, firstIndex: 0, connections: 16, seconds: 2 }],
      [`closed ${CONNECTIONS} conn`, { kind: 'closed', origin, runId, firstIndex: 0, connections: CONNECTIONS, seconds: SECONDS }],
      [`open ${RATE}/s`, { kind: 'open', origin, runId, firstIndex: 0, rate: RATE, seconds: SECONDS, connections: 256 }],
    ];
    for (const [phase, cmd] of phases) {
      const db0 = db.kind === 'postgres' ? await backendCpuMs(db) : undefined;
      const cpu = process.cpuUsage();
      const result = await runPhase(child, { ...cmd, firstIndex: index });
      const used = process.cpuUsage(cpu);
      const db1 = db0 === undefined ? undefined : await backendCpuMs(db);
      index = result.nextIndex;
      accepted += result.accepted;
      const c = await counts(db);
      const cpuMsPerLead = (used.user + used.system) / 1000 / Math.max(1, result.accepted);
      const row: PhaseRow = { target, phase, result, cpuMsPerLead, rows: c.rows, events: c.events, expectedRows: accepted };
      if (db0 !== undefined && db1 !== undefined) row.dbCpuMsPerLead = (db1 - db0) / Math.max(1, result.accepted);
      out.push(row);
      process.stderr.write(`  ${target} ${phase}: ${JSON.stringify(result.statuses)} in ${result.seconds.toFixed(1)} s\n`);
    }
  } finally {
    child.send('exit');
    await app.close();
    await cleanup();
    rmSync(cfgDir, { recursive: true, force: true });
  }
}

function report(rows: PhaseRow[], loadAtStart: number): boolean {
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(`\nintake bench — POST /api/leads, ${SECONDS} s phases, load generator in a separate process`);
  console.log(`machine: ${cpus().length} cores, load average ${f(loadAtStart, 2)} at start (other processes compete for the same cores)`);
  const head = ['target'.padEnd(9), 'phase'.padEnd(16), 'sent'.padStart(6), '202'.padStart(6), 'other'.padStart(7), 'leads/s'.padStart(8),
    'p50 ms'.padStart(9), 'p99 ms'.padStart(8), 'max ms'.padStart(8), 'cpu ms/lead app/gen/db'.padStart(22), '  rows in leads'];
  console.log(head.join(' '));
  for (const r of rows) {
    const other = r.result.sent - r.result.accepted;
    const cols = [
      r.target.padEnd(9),
      r.phase.padEnd(16),
      String(r.result.sent).padStart(6),
      String(r.result.accepted).padStart(6),
      String(other).padStart(7),
      f(r.result.accepted / r.result.seconds, 0).padStart(8),
      f(r.result.latency.p50).padStart(9),
      f(r.result.latency.p99).padStart(8),
      f(r.result.latency.max).padStart(8),
      `${f(r.cpuMsPerLead, 2)}/${f(r.result.cpuMs / Math.max(1, r.result.accepted), 2)}/${r.dbCpuMsPerLead === undefined ? '-' : f(r.dbCpuMsPerLead, 2)}`.padStart(22),
      `  ${r.rows} (${r.rows === r.expectedRows && r.events === r.expectedRows ? '= 202s, ok' : `EXPECTED ${r.expectedRows}, events ${r.events}`})`,
    ];
    console.log(cols.join(' '));
  }
  let pass = true;
  const result = (ok: boolean, what: string) => {
    pass &&= ok;
    console.log(`RESULT ${ok ? 'PASS' : 'FAIL'} ${what}`);
  };
  console.log('');
  for (const target of TARGETS) {
    const mine = rows.filter((r) => r.target === target);
    const closed = mine.find((r) => r.result.kind === 'closed' && r.phase !== 'warm-up');
    const open = mine.find((r) => r.result.kind === 'open');
    const lost = mine.every((r) => r.rows === r.expectedRows && r.events === r.expectedRows && !r.result.statuses.error);
    result(lost && mine.length === 3, `${target}: every 202 is a committed lead row + event (no loss, no transport errors)`);
    if (!closed || !open) continue;
    const rate = closed.result.accepted / closed.result.seconds;
    const p99 = open.result.latency.p99;
    const openOk = open.result.accepted === open.result.sent;
    if (target === 'postgres') {
      result(rate >= TARGET_LEADS_PER_SEC, `postgres: ${f(rate, 0)} accepted leads/s (target ≥ ${TARGET_LEADS_PER_SEC})`);
      result(p99 < TARGET_P99_MS && openOk, `postgres: p99 ${f(p99)} ms at ${RATE} req/s, all accepted: ${openOk} (target < ${TARGET_P99_MS} ms)`);
    } else {
      console.log(`INFO   pglite: ${f(rate, 0)} accepted leads/s, p99 ${f(p99)} ms at ${RATE} req/s (targets apply to PostgreSQL)`);
    }
  }
  return pass;
}

const rows: PhaseRow[] = [];
const loadAtStart = loadavg()[0] ?? 0;
for (const target of TARGETS) {
  process.stderr.write(`bench ${target}…\n`);
  await benchTarget(target, rows);
}
process.exitCode = report(rows, loadAtStart) ? 0 : 1;
