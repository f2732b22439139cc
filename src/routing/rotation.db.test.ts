// One fair rotation across instances: the rotation row is locked in the same transaction as the decisions, so
// concurrent deciders never take the same turn or skip one. In-process on any database; as two `leadbridge worker`
// processes delivering 1,000 leads when TEST_DATABASE_URL (PostgreSQL) is set.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { AmoClient, longLivedTokenSet, MemoryTokenStore } from '../amocrm/index.js';
import { ADMIN_USER_ID, MANAGER2_USER_ID, MANAGER_USER_ID, startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { leads, routingDecisions } from '../db/index.js';
import { spawnWorker, type ChildWorker } from '../../test/children/worker.js';
import { buildApp } from '../../test/app.js';
import { RoutingSectionSchema } from './config.js';
import { createRouting, type RoutableLead } from './service.js';

const USERS = [ADMIN_USER_ID, MANAGER_USER_ID, MANAGER2_USER_ID];
let emu: RunningEmulator | undefined;
let tdb: TestDb | undefined;
let dir: string | undefined;
const children: ChildWorker[] = [];

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await emu?.close();
  await tdb?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function perUser(db: TestDb): Promise<Record<string, number>> {
  const res = await db.db.execute(sql`select user_id::text as u, count(*)::int as n from routing_decisions group by user_id order by user_id`);
  return Object.fromEntries((res as unknown as { rows: { u: string; n: number }[] }).rows.map((r) => [r.u, Number(r.n)]));
}

const spread = (counts: Record<string, number>) => Math.max(...Object.values(counts)) - Math.min(...Object.values(counts));

describe('one rotation shared by concurrent deciders', () => {
  it('two routing instances, 1,000 leads in interleaved batches of 25: 334/333/333, no lead decided twice', async () => {
    tdb = await createTestDb();
    emu = await startEmulator({ port: 0, rateLimit: false });
    const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
    const amo = new AmoClient({ domain: emu.config.domain, baseUrl: emu.url, tokens: new MemoryTokenStore(longLivedTokenSet(access_token)) });
    const config = RoutingSectionSchema.parse({ users: USERS });
    const [a, b] = [createRouting({ db: tdb.db, amo, config }), createRouting({ db: tdb.db, amo, config })];
    const lead = (i: number): RoutableLead => ({ id: randomUUID(), formKey: 'site', phone: `+7900${String(1000000 + i)}`, email: null, attribution: {}, extra: {} });
    const all = Array.from({ length: 1000 }, (_, i) => lead(i));
    const run = async (r: typeof a, part: RoutableLead[]) => {
      for (let i = 0; i < part.length; i += 25) await r.route(part.slice(i, i + 25));
    };
    await Promise.all([run(a, all.slice(0, 500)), run(b, all.slice(500))]);
    // A retried batch keeps its decisions (no new turns).
    await a.route(all.slice(0, 10));
    const counts = await perUser(tdb);
    expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(1000);
    expect(spread(counts)).toBeLessThanOrEqual(1);
    expect(Object.keys(counts).sort()).toEqual(USERS.map(String).sort());
    const [row] = await tdb.db.select({ n: sql<number>`count(distinct ${routingDecisions.leadId})::int` }).from(routingDecisions);
    expect(Number(row?.n)).toBe(1000);
  }, 600_000);
});

const url = process.env.TEST_DATABASE_URL;
if (!url) process.stdout.write('rotation.db.test.ts: two-process case skipped — set TEST_DATABASE_URL (PostgreSQL) to run it\n');

describe.runIf(url)('two worker processes on one PostgreSQL', () => {
  it('deliver 1,000 leads round-robin over 3 managers: per-manager counts differ by at most 1', async () => {
    const pg = await createTestDb();
    try {
      const app = await buildApp({ config: testConfig({ rateLimit: { perIpPerMinute: 100_000 } }), db: pg });
      for (let i = 0; i < 1000; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { form: 'rr', name: `RR ${i}`, phone: `+7 921 ${String(10000000 + i).slice(1)}` } });
        expect(res.statusCode).toBe(202);
      }
      await app.close();
      const e = await startEmulator({ port: 0, rateLimit: false });
      try {
        const { access_token } = await e.control.issueLongLivedToken({ admin: true });
        dir = mkdtempSync(join(tmpdir(), 'leadbridge-rr-'));
        const configPath = join(dir, 'leadbridge.yaml');
        writeFileSync(configPath, `delivery:\n  batch_size: 10\nrouting:\n  users: [${USERS.join(', ')}]\n`);
        for (let i = 0; i < 2; i++) {
          children.push(
            spawnWorker({
              databaseUrl: pg.url as string,
              amoBaseUrl: e.url,
              amoDomain: e.config.domain,
              token: access_token,
              configPath,
              args: ['--contact-lookup', 'local_only', '--poll-ms', '100', '--per-second', '200'],
            }),
          );
        }
        const until = Date.now() + 150_000;
        for (;;) {
          const rows = await pg.db.select({ status: leads.status }).from(leads);
          if (rows.every((r) => r.status === 'delivered')) break;
          if (Date.now() > until) throw new Error(`not delivered in time: ${children.map((c) => c.output()).join('\n')}`);
          await new Promise((r) => setTimeout(r, 300));
        }
        for (const c of children) c.kill('SIGTERM');
        await Promise.all(children.map((c) => c.exited));
        const counts = await perUser(pg);
        expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(1000);
        expect(spread(counts)).toBeLessThanOrEqual(1);
        // The deals in amoCRM carry the same managers, and both processes decided some.
        const state = e.control.state() as { leads: { responsible_user_id: number }[] };
        const inAmo: Record<string, number> = {};
        for (const l of state.leads) inAmo[String(l.responsible_user_id)] = (inAmo[String(l.responsible_user_id)] ?? 0) + 1;
        expect(inAmo).toEqual(counts);
        const claimedBy = await pg.db.execute(sql`select count(distinct detail->>'worker')::int as n from lead_events where type = 'claimed'`);
        expect(Number((claimedBy as unknown as { rows: { n: number }[] }).rows[0]?.n)).toBe(2);
      } finally {
        await e.close();
      }
    } finally {
      await pg.cleanup();
    }
  }, 240_000);
});
