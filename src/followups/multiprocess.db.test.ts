// Follow-up workers as real processes (`leadbridge followups worker`): SIGKILL after the attempt was recorded and
// while the SMTP server holds the message → never sent again (marked unknown); two processes on one PostgreSQL →
// every step sent once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, pgliteDump } from '../../test/db.js';
import { loadConfig } from '../config/index.js';
import { followupSteps, openDb } from '../db/index.js';
import { REPO_ROOT } from '../../test/children/worker.js';
import { buildApp } from '../../test/app.js';
import { createFollowups } from './index.js';
import { startTestSmtp, type TestSmtp } from '../../test/followups.js';

const YAML = `
forms:
  default: { title: Website }
sequences:
  hello:
    trigger: { lead_captured: {} }
    quiet_hours: false
    steps:
      - email: { subject: "Hello {{name}}", text: "Welcome" }
      - wait: 1d
      - email: { subject: "Again", text: "Hi again" }
followups:
  daily_cap: 100
`;

const children: ChildProcess[] = [];
const smtps: TestSmtp[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of smtps.splice(0)) await s.close();
});

function spawnWorker(env: NodeJS.ProcessEnv): ChildProcess & { out: () => string } {
  const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', SMTP_IGNORE_TLS: '1', ...env };
  if (!env.DATABASE_URL) delete e.DATABASE_URL;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'followups', 'worker', '--poll-ms', '100'], { cwd: REPO_ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  children.push(proc);
  return Object.assign(proc, { out: () => out });
}

async function until(f: () => boolean | Promise<boolean>, what: string, ms = 360_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('follow-up worker processes', { timeout: 600_000 }, () => {
  it('SIGKILL while the SMTP server holds the message → the attempt is marked unknown and never resent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadbridge-fu-kill-'));
    const seed = await PGlite.create(join(dir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
    const configPath = join(dir, 'leadbridge.yaml');
    writeFileSync(configPath, YAML);
    const env = { LEADBRIDGE_DATA_DIR: dir, LEADBRIDGE_CONFIG: configPath };
    // The lead is captured by a server-side process (here: the app on the same data dir, closed again).
    {
      const db = await openDb({ dataDir: dir });
      const app = await buildApp({ config: testConfig(), db });
      const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { name: 'Kill Test', email: 'kill@example.test' } });
      expect(res.statusCode).toBe(202);
      await app.close();
      await db.close();
    }
    const smtp = await startTestSmtp();
    smtps.push(smtp);
    smtp.hangData = true;
    const child = spawnWorker({ ...env, SMTP_URL: smtp.url });
    await until(() => smtp.mails.length === 1, `the SMTP server to hold the message (worker output: ${child.out()})`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    smtp.hangData = false;

    // A new process on the same data: the attempt in `sending` is past the timeout → unknown, not resent.
    const db = await openDb({ dataDir: dir });
    try {
      const config = loadConfig({ LEADBRIDGE_CONFIG: configPath }, { configPath });
      const later = Date.now() + 10 * 60_000;
      const fu = createFollowups({
        db: db.db,
        config,
        account: 'default',
        channels: { email: { send: async () => ({ ok: true, messageId: 'must-not-be-called' }) } },
        pipelines: async () => undefined,
        consume: false,
        now: () => later,
      });
      await fu.tick();
      const steps = await db.db.select().from(followupSteps).orderBy(followupSteps.stepIndex);
      expect(steps[0]).toMatchObject({ stepIndex: 0, status: 'unknown', reason: 'outcome_unknown', attempts: 1 });
      expect(steps[1]).toMatchObject({ stepIndex: 2, status: 'scheduled' });
      await fu.tick();
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.dataStarted).toBe(1);
    } finally {
      await db.close();
    }
  });

  const url = process.env.TEST_DATABASE_URL;
  it.runIf(url)('two processes on one PostgreSQL send each step once', async () => {
    const N = 40;
    const tdb = await createTestDb();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'leadbridge-fu-mp-'));
      const configPath = join(dir, 'leadbridge.yaml');
      writeFileSync(configPath, YAML);
      const app = await buildApp({ config: testConfig({ rateLimit: { perIpPerMinute: 100_000 } }), db: tdb });
      for (let i = 0; i < N; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { name: `MP ${i}`, email: `mp${i}@example.test` } });
        expect(res.statusCode).toBe(202);
      }
      await app.close();
      const smtp = await startTestSmtp();
      smtps.push(smtp);
      const env = { DATABASE_URL: tdb.url as string, LEADBRIDGE_CONFIG: configPath, SMTP_URL: smtp.url };
      const a = spawnWorker(env);
      const b = spawnWorker(env);
      await until(async () => {
        const rows = await tdb.db.select().from(followupSteps);
        return rows.filter((r) => r.stepIndex === 0 && r.status === 'sent').length === N;
      }, `all first steps sent (outputs: ${a.out()} | ${b.out()})`);
      await new Promise((r) => setTimeout(r, 1500));
      expect(smtp.mails).toHaveLength(N);
      expect(new Set(smtp.mails.map((m) => m.to && 'value' in m.to ? m.to.value[0]?.address : '')).size).toBe(N);
      const steps = await tdb.db.select().from(followupSteps);
      expect(steps.filter((s) => s.stepIndex === 0).every((s) => s.attempts === 1)).toBe(true);
      expect(new Set(steps.filter((s) => s.stepIndex === 0).map((s) => s.claimedBy)).size).toBeGreaterThanOrEqual(1);
    } finally {
      await tdb.cleanup();
    }
  });
});
