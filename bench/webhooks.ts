// Bench: amoCRM webhook receiving + applying. A SEPARATE process (this file with --load) fires form-encoded
// webhook deliveries (a lead update + status change each, like amoCRM sends) open-loop at a fixed rate at a
// listening Leadbridge app; this process stores/acks them and runs the processor. Prints the ack latency
// p50/p99 as seen by the load generator (target p99 < 50 ms at 500/s), the events applied per second, and the apply
// rate on the backlog left after the load (BENCH_PROCESS_AFTER=1: everything is applied after the load, by every lane).
// Run: npx tsx bench/webhooks.ts [rate=500] [seconds=10] [maxBatchMs=25]
// Env:  LEADBRIDGE_PGLITE_THREAD=off: the embedded database on this thread, not its own (src/db/pglite-thread.ts).
//       BENCH_TARGET=pglite (default; a temp folder) | memory (in-memory PGlite, no disk) | postgres (a fresh
//       database on BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres, dropped after)
//       BENCH_BATCH=N: the processor's batch size (default 50); BENCH_LOAD_SHARE=x: its share of time per lane while
//       webhooks arrive (default: processorSharing's, PostgreSQL 0.3, PGlite 0.4).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';

const SECRET = 'bench-webhook-secret-0123456789';

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  latenciesMs: number[];
  /** Time spent sending (the schedule), and until the last answer. */
  sendSeconds: number;
  seconds: number;
  errors: Record<string, number>;
}

async function runLoad(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const { encodeWebhookBody } = await import('../src/amocrm/webhooks/index.js');
  const { Pool } = await import('undici');
  const target = new URL(url);
  const path = target.pathname;
  // Like amoCRM's senders: a bounded set of keep-alive connections (64), not one socket per delivery.
  const pool = new Pool(target.origin, { connections: 64 });
  const account = { id: 31000001, subdomain: 'bench', self: 'https://bench.amocrm.ru' };
  const total = rate * seconds;
  const t0 = Math.floor(Date.now() / 1000);
  const body = (i: number): string => {
    const id = 1_000_000 + (i % 2000);
    const at = t0 + Math.floor(i / 2000) + 1;
    const fields = { id, name: `Deal ${id}`, status_id: 100 + (i % 7), old_status_id: 100 + ((i + 6) % 7), pipeline_id: 7000, price: 1000 + i, responsible_user_id: 5, last_modified: at, updated_at: at, created_at: t0, account_id: account.id };
    return encodeWebhookBody([{ key: 'leads', action: 'update', fields }, { key: 'leads', action: 'status', fields }], account);
  };
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let i = 0;
  // Open loop: every tick, send everything whose scheduled time has come (no waiting for answers).
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; i < due; i++) {
      const b = body(i);
      // Latency counts from the scheduled send time (a slow server cannot hide behind a queue: no coordinated omission).
      const s = started + (i / rate) * 1000;
      const p = pool
        .request({ path, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: b })
        .then(async (res) => {
          await res.body.arrayBuffer();
          latencies.push(performance.now() - s);
          if (res.statusCode === 200) ok++;
          else {
            failed++;
            errors[`http ${res.statusCode}`] = (errors[`http ${res.statusCode}`] ?? 0) + 1;
          }
        })
        .catch((err: unknown) => {
          failed++;
          const name = err instanceof Error ? ((err.cause as { code?: string } | undefined)?.code ?? err.name) : 'error';
          errors[name] = (errors[name] ?? 0) + 1;
        });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all([...pending]);
  await pool.close();
  return { sent: total, ok, failed, latenciesMs: latencies, sendSeconds, seconds: (performance.now() - started) / 1000, errors };
}

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 500);
  const seconds = Number(process.argv[3] ?? 10);
  const maxBatchMs = Number(process.argv[4] ?? 25);
  if (![rate, seconds, maxBatchMs].every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error('usage: npx tsx bench/webhooks.ts [rate=500] [seconds=10] [maxBatchMs=25] (BENCH_TARGET=pglite|memory|postgres)');
  }
  const { openDb, migrateDb, wrapPglite, webhookDeliveries, amoDeals } = await import('../src/db/index.js');
  const { PGlite } = await import('@electric-sql/pglite');
  const { buildApp } = await import('../test/app.js');
  const { loadConfig } = await import('../src/config/index.js');
  const { createInboxWriter, createWebhookProcessor, processorSharing, webhookRoutes } = await import('../src/webhooks/index.js');
  const { openWebhookJournal } = await import('../src/webhooks/journal.js');

  const target = process.env.BENCH_TARGET ?? 'pglite';
  const memory = target === 'memory';
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const pgName = `lb_bench_webhooks_${process.pid}`;
  const admin = async (text: string): Promise<void> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  let pgUrl: string | undefined;
  if (target === 'postgres') {
    await admin(`create database ${pgName}`);
    const u = new URL(adminUrl);
    u.pathname = `/${pgName}`;
    pgUrl = u.toString();
  }
  const dir = target === 'pglite' ? mkdtempSync(join(tmpdir(), 'lb-bench-')) : undefined;
  const db = memory ? await wrapPglite(await PGlite.create()) : await openDb(pgUrl ? { url: pgUrl } : { dataDir: dir as string, pgliteThread: process.env.LEADBRIDGE_PGLITE_THREAD !== 'off' });
  if (memory) await migrateDb(db);
  let applied = 0;
  /** Webhook events (items) and deliveries the processor has handled, for the backlog's apply rate. */
  let handledEvents = 0;
  let handledDeliveries = 0;
  let firstInsertAt = 0;
  let lastBatchAt = 0;
  const writer = createInboxWriter(db.db, 'default');
  const processor = createWebhookProcessor({
    db: db.db,
    account: 'default',
    // As in production (createWebhookSync): PGlite yields to acks, PostgreSQL overlaps batches.
    ...processorSharing(writer, db.kind === 'pglite'),
    ...(process.argv[4] ? { maxBatchMs } : {}),
    ...(process.env.BENCH_BATCH ? { batchSize: Number(process.env.BENCH_BATCH) } : {}),
    ...(process.env.BENCH_LOAD_SHARE ? { loadShare: Number(process.env.BENCH_LOAD_SHARE) } : {}),
    onBatch: (s) => {
      applied += s.applied;
      handledEvents += s.events;
      handledDeliveries += s.deliveries;
      lastBatchAt = performance.now();
    },
  });
  // As in production: acks from the journal (BENCH_JOURNAL=off: acks wait for the database insert).
  const journalDir = process.env.BENCH_JOURNAL === 'off' ? undefined : mkdtempSync(join(tmpdir(), 'lb-bench-journal-'));
  const onStored = () => {
    firstInsertAt ||= performance.now();
    processor.wake();
  };
  const journal = journalDir ? openWebhookJournal({ dir: journalDir, writer, onStored }) : undefined;
  const config = loadConfig({}, { configPath: '/nonexistent/leadbridge.yaml' });
  const app = await buildApp({
    config,
    db,
    extraRoutes: [
      () =>
        webhookRoutes({
          writer,
          source: { webhookSecret: SECRET, account: async () => ({ id: 31000001, subdomain: 'bench' }) },
          ...(journal ? { journal } : {}),
          onStored,
        }),
    ],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/webhooks/amo/${SECRET}`;
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  if (!process.env.BENCH_PROCESS_AFTER) processor.start();

  const cpuStart = process.cpuUsage();
  const child = fork(fileURLToPath(import.meta.url), ['--load', url, String(rate), String(seconds)], { execArgv: ['--import', 'tsx'] });
  const load = await new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
  lag.disable();
  const cpu = process.cpuUsage(cpuStart);
  const drainStart = performance.now();
  const [eventsBefore, deliveriesBefore] = [handledEvents, handledDeliveries];
  await journal?.flush();
  // Processing after the load: the processor's lanes (concurrency > 1 on PostgreSQL) run beside drain()'s.
  if (process.env.BENCH_PROCESS_AFTER) processor.start();
  await processor.drain();
  const backlogSec = (performance.now() - drainStart) / 1000;
  const backlog = { events: handledEvents - eventsBefore, deliveries: handledDeliveries - deliveriesBefore };
  await processor.stop();
  const counts = await db.db
    .select({ n: sql<number>`count(*)::int`, processed: sql<number>`(count(*) filter (where status = 'processed'))::int` })
    .from(webhookDeliveries);
  const deals = await db.db.select({ n: sql<number>`count(*)::int` }).from(amoDeals);
  await app.close();
  await journal?.close();
  await db.close();
  if (journalDir) rmSync(journalDir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (pgUrl) await admin(`drop database if exists ${pgName} with (force)`);

  const lat = [...load.latenciesMs].sort((a, b) => a - b);
  const applySec = Math.max(0.001, ((lastBatchAt || performance.now()) - firstInsertAt) / 1000);
  const p99 = pct(lat, 99);
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(34)} ${v}`);
  const { loadavg, cpus } = await import('node:os');
  console.log(`\nmachine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (other processes skew numbers)`);
  console.log(`webhooks bench — ${db.kind}${memory ? ' (in memory)' : ''}, ${rate} deliveries/s for ${seconds} s, acks from ${journal ? 'the journal' : 'the database insert'}`);
  line('deliveries sent / 200 / failed', `${load.sent} / ${load.ok} / ${load.failed}`);
  line('achieved send rate', `${(load.sent / load.sendSeconds).toFixed(0)} /s`);
  if (load.failed) line('failures', JSON.stringify(load.errors));
  line('ack latency p50', `${pct(lat, 50).toFixed(1)} ms`);
  line('ack latency p99 (target < 50 ms)', `${p99.toFixed(1)} ms  ${load.sent > 0 && p99 < 50 ? 'OK' : 'ABOVE TARGET'}`);
  line('ack latency max', `${(lat.at(-1) ?? 0).toFixed(1)} ms`);
  line('server CPU during load', `${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (${((cpu.user + cpu.system) / 1000 / load.sent).toFixed(2)} ms per delivery, ack + processing)`);
  line('server event-loop delay p99 / max', `${(lag.percentile(99) / 1e6).toFixed(1)} / ${(lag.max / 1e6).toFixed(1)} ms`);
  line('stored / processed deliveries', `${counts[0]?.n ?? 0} / ${counts[0]?.processed ?? 0}`);
  line('events applied (deduped)', `${applied}  (deals: ${deals[0]?.n ?? 0})`);
  line('events applied per second', `${(applied / applySec).toFixed(0)} /s (first insert → last batch)`);
  line('events parsed per second', `${((counts[0]?.processed ?? 0) * 2 / applySec).toFixed(0)} /s`);
  line('backlog drained after load ended', `${backlogSec.toFixed(2)} s`);
  // The apply capacity: the backlog left when the load ended, worked off at full speed by every lane (with
  // BENCH_PROCESS_AFTER=1 that is all of it). Webhook events are the items of the bodies (two per delivery here).
  if (backlog.deliveries > 0 && backlogSec > 0) {
    line(
      'apply rate on the backlog',
      `${(backlog.events / backlogSec).toFixed(0)} webhook events/s = ${(backlog.deliveries / backlogSec).toFixed(0)} deliveries/s (${backlog.deliveries} deliveries after the load)`,
    );
  }
  // A run only passes when every delivery was sent and acknowledged, and all were applied.
  const complete = load.sent > 0 && load.ok === load.sent && (counts[0]?.processed ?? 0) === load.sent;
  const pass = complete && p99 < 50;
  console.log(`RESULT ${pass ? 'PASS' : 'FAIL'} webhooks db=${db.kind} rate=${rate}/s acked=${load.ok}/${load.sent} p99=${p99.toFixed(1)}ms applied/s=${(applied / applySec).toFixed(0)}`);
  process.exitCode = pass ? 0 : 1;
}

if (process.argv[2] === '--load') {
  const result = await runLoad(process.argv[3] as string, Number(process.argv[4]), Number(process.argv[5]));
  process.send?.(result, () => process.exit(0));
} else {
  await main();
}
