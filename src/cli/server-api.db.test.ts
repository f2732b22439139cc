// The CLI beside a running sandbox server (issue #9 "setup/doctor need downtime", #8): on PGlite the server holds the
// data directory, so `setup`, `setup --dry-run`, `doctor`, `webhook-url`, `replay` and `reconcile` go through its
// admin API (the generated admin token read from <data dir>/admin-token); with the server stopped they open the
// database and run the sandbox emulator from its state file themselves — and print the same. On PostgreSQL nothing
// is locked: the CLI opens the database while the server runs and talks to the server's emulator. The commands run
// in this process (the server's lock names this process, so for them the directory is held), the binary twice.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../test/sandbox.js';
import { leadEvents, leads } from '../db/index.js';
import { REPO_ROOT } from '../../test/children/worker.js';
import { loadConfig, type Config } from '../config/index.js';
import { doctorCommand } from './doctor.js';
import { reconcileCommand } from './reconcile.js';
import { replayCommand } from './replay.js';
import { setupCommand, type CommandIo } from './setup.js';
import { webhookUrlCommand } from './webhook-url.js';
import { freePort } from '../../test/net.js';

const CONFIG = fileURLToPath(new URL('../../leadbridge.yaml', import.meta.url));
let sb: Sandbox;
let env: NodeJS.ProcessEnv;

function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: REPO_ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('exit', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  // No LEADBRIDGE_ADMIN_TOKEN: the sandbox generates one, as for a new user.
  sb = await startSandbox(CONFIG, { LEADBRIDGE_ADMIN_TOKEN: '', LEADBRIDGE_RECONCILE_CRON: 'off' });
  env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: process.env.NODE_OPTIONS };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  Object.assign(env, {
    LEADBRIDGE_CONFIG: CONFIG,
    LEADBRIDGE_DATA_DIR: sb.dir,
    LEADBRIDGE_PUBLIC_URL: sb.base,
    PORT: new URL(sb.base).port,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LEADBRIDGE_RECONCILE_CRON: 'off',
    // The server's emulator (PostgreSQL: the CLI calls it directly); after the stop nothing answers there.
    LEADBRIDGE_EMULATOR_PORT: String(sb.server.connect.sandbox?.emulator.port),
    ...(sb.server.config.databaseUrl ? { DATABASE_URL: sb.server.config.databaseUrl } : {}),
  });
});
afterAll(async () => {
  await sb?.close();
});


type Run = { code: number; out: string[]; err: string[] };
/** A command as the CLI runs it, in this process (the lock is per process: this one does not hold the data dir). */
async function inProcess(run: (config: Config, io: CommandIo) => Promise<number>, extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  const r: Run = { code: -1, out: [], err: [] };
  r.code = await run(loadConfig({ ...env, ...extra }), { out: (t) => r.out.push(t), err: (t) => r.err.push(t) });
  return r;
}
const COMMANDS: [string, (config: Config, io: CommandIo) => Promise<number>][] = [
  ['webhook-url', (c, io) => webhookUrlCommand(c, io)],
  ['setup --dry-run', (c, io) => setupCommand(c, { dryRun: true }, io)],
  ['setup', (c, io) => setupCommand(c, {}, io)],
  ['doctor', (c, io) => doctorCommand(c, io)],
];
const RECONCILED = /^reconciled events \S+ → \S+: \d+ events, \d+ leads re-read, \d+ repaired$/;

describe('the CLI while the sandbox server runs, and after it stopped', () => {
  it('setup, setup --dry-run, doctor and webhook-url print the same either way; replay and reconcile work through the server', async () => {
    const pglite = !sb.server.config.databaseUrl;
    const tokenFile = join(sb.dir, 'admin-token');
    expect(existsSync(tokenFile)).toBe(true);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);

    const running: Record<string, Run> = {};
    for (const [name, run] of COMMANDS) running[name] = await inProcess(run);
    expect(running['webhook-url']).toMatchObject({ code: 0, err: [] });
    expect(running['webhook-url']!.out).toEqual([expect.stringMatching(new RegExp(`^${sb.base}/api/webhooks/amo/\\S{16,}$`))]);
    expect(running['setup --dry-run']!.code).toBe(0);
    expect(running['setup --dry-run']!.out.join('\n')).toContain('(sandbox emulator) — dry run');
    // The server provisioned the demo account at start: nothing left to do.
    expect(running.setup).toMatchObject({ code: 0, err: [] });
    expect(running.setup!.out.join('\n')).toContain('Nothing to change');
    expect(running.doctor).toMatchObject({ code: 0, err: [] });
    const doctorText = running.doctor!.out.join('\n');
    expect(doctorText).toContain(pglite ? 'embedded PGlite open' : 'PostgreSQL reachable');
    expect(doctorText).toContain('checks passed');
    expect(doctorText).toMatch(/queue.*\d+ jobs queued/);

    // The real binary in its own process: the generated token from the file, the same lines on stdout.
    const spawned = await cli(['setup', '--dry-run']);
    expect(spawned).toEqual({ code: 0, out: `${running['setup --dry-run']!.out.join('\n')}\n`, err: '' });

    // replay: a dead lead requeued (through the server on PGlite), a delivered one refused.
    const [dead] = await sb.server.db.db.insert(leads).values({ formKey: 'default', phone: '+79120000001', status: 'dead', attempts: 10 }).returning();
    const [done] = await sb.server.db.db.insert(leads).values({ formKey: 'default', phone: '+79120000002', status: 'delivered' }).returning();
    expect(await inProcess((c, io) => replayCommand(c, [{ status: 'dead' }], io))).toEqual({ code: 0, out: ['requeued 1 lead'], err: [] });
    const events = await sb.server.db.db.select().from(leadEvents).where(eq(leadEvents.leadId, dead!.id));
    expect(events.map((e) => [e.type, e.detail])).toContainEqual(['replayed', { by: pglite ? 'admin' : 'cli' }]);
    expect(await inProcess((c, io) => replayCommand(c, [{ id: done!.id }], io))).toEqual({
      code: 1,
      out: ['requeued 0 leads'],
      err: [`lead ${done!.id} is not failed, dead or held (nothing to replay)`],
    });
    const reconcile = await inProcess((c, io) => reconcileCommand(c, {}, io));
    expect(reconcile).toMatchObject({ code: 0, out: [expect.stringMatching(RECONCILED)] });

    if (pglite) {
      // A wrong token: refused, said in one line.
      await expect(inProcess((c, io) => doctorCommand(c, io), { LEADBRIDGE_ADMIN_TOKEN: 'wrong-admin-token-0123456789' })).rejects.toThrow(
        /^the server at http:\/\/127\.0\.0\.1:\d+ refused the admin token \(401\)/,
      );
      // Locked data directory, but no server where HOST/PORT point: the binary says it in one line, no stack.
      const closed = await freePort();
      const lost = await cli(['doctor'], { PORT: String(closed) });
      expect(lost.code).toBe(1);
      expect(lost.err).toMatch(new RegExp(`^leadbridge: the server is not running at http://127\\.0\\.0\\.1:${closed} \\(HOST/PORT; ECONNREFUSED\\) and the data directory .* is locked by process \\d+`));
      expect(lost.err.trim().split('\n')).toHaveLength(1);
    }

    await sb.server.close();
    // The same lines; only the queue's live count may differ (a scheduled job the stopped server did not run yet).
    const same = (r: Run) => ({ ...r, out: r.out.map((l) => l.replace(/(queue\s+)\d+ jobs queued/, '$1N jobs queued')) });
    for (const [name, run] of COMMANDS) {
      const stopped = await inProcess(run);
      expect({ name, ...same(stopped) }).toEqual({ name, ...same(running[name]!) });
    }
    // Stopped: replay and reconcile open the database (and run the emulator) themselves.
    expect(await inProcess((c, io) => replayCommand(c, [{ status: 'dead' }], io))).toEqual({ code: 0, out: ['requeued 0 leads'], err: [] });
    expect(await inProcess((c, io) => reconcileCommand(c, {}, io))).toMatchObject({ code: 0, out: [expect.stringMatching(RECONCILED)] });
  }, 900_000);
});
