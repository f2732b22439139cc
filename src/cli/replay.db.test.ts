// `leadbridge replay` as an operator runs it: a child process on the data dir (PGlite) or DATABASE_URL (PostgreSQL).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { leadEvents, leads, openDb, type Db } from '../db/index.js';
import { REPO_ROOT } from '../../test/children/worker.js';

let dir: string | undefined;
let tdb: TestDb | undefined;
afterAll(async () => {
  await tdb?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => resolve({ code, out }));
  });
}

describe('leadbridge replay', () => {
  it('requeues every dead lead, and refuses a lead that is not failed or dead', async () => {
    const url = process.env.TEST_DATABASE_URL;
    let db: Db;
    if (url) {
      tdb = await createTestDb();
      db = tdb;
    } else {
      dir = mkdtempSync(join(tmpdir(), 'leadbridge-replay-'));
      db = await openDb({ dataDir: dir });
    }
    const [dead] = await db.db.insert(leads).values({ formKey: 'x', phone: '+79120000001', status: 'dead', attempts: 10 }).returning();
    const [done] = await db.db.insert(leads).values({ formKey: 'x', phone: '+79120000002', status: 'delivered' }).returning();
    if (!url) await db.close();
    const env: NodeJS.ProcessEnv = { ...process.env, LEADBRIDGE_CONFIG: '/nonexistent/leadbridge.yaml', LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.LEADBRIDGE_DATA_DIR;
    if (url && tdb?.url) env.DATABASE_URL = tdb.url;
    else env.LEADBRIDGE_DATA_DIR = dir;

    const all = await runCli(['replay', '--all-dead'], env);
    expect(all).toMatchObject({ code: 0, out: expect.stringContaining('requeued 1 lead') });
    const one = await runCli(['replay', done!.id], env);
    expect(one.code).toBe(1);
    expect(one.out).toContain('not failed, dead or held');
    const usage = await runCli(['replay'], env);
    expect(usage.code).toBe(2);

    const check = url ? db : await openDb({ dataDir: dir as string });
    try {
      const [row] = await check.db.select().from(leads).where(eq(leads.id, dead!.id));
      expect(row).toMatchObject({ status: 'pending', attempts: 0 });
      const events = await check.db.select().from(leadEvents).where(eq(leadEvents.leadId, dead!.id));
      expect(events.map((e) => [e.type, e.detail])).toEqual([['replayed', { by: 'cli' }]]);
    } finally {
      if (!url) await check.close();
    }
  }, 300_000);
});
