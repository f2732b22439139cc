// Bench: start-up and memory of the BUILT server (issue #8's targets: `--help` under 1 s, PostgreSQL-mode RSS under
// 150 MB idle). For each mode — the sandbox on the embedded PGlite, the sandbox on PostgreSQL, and `postgres-amo`:
// PostgreSQL with amoCRM credentials (the production shape; the amoCRM emulator runs in its own process, reached
// through AMOCRM_API_BASE_URL, so the server holds no emulator) — it spawns
// `node dist/main.js` (what `npm start` runs) on free ports with a fresh data dir and prints: time to a ready
// /health, time until the sandbox is connected and provisioned, RSS idle, RSS after N leads are delivered into the
// built-in emulator (and the peak), and how long SIGTERM takes. Then `leadbridge --help` wall time (median of 5).
// Needs a build first (`npm run build`; `npm install` does it).
// Run: npx tsx bench/startup.ts [leads=1000]
// Env: BENCH_MODES=pglite,postgres,postgres-amo (default all three); BENCH_DATABASE_URL (default the local cluster).
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from './lib/scratch-pg.js';
import { freePort } from '../test/net.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const LEADS = Number(process.argv[2] ?? 1000);
const MODES = (process.env.BENCH_MODES ?? 'pglite,postgres,postgres-amo').split(',').map((m) => m.trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(join(root, 'dist', 'main.js'))) throw new Error('bench/startup: no dist/main.js — run `npm run build` first');


/** VmRSS and VmHWM (peak) of a process, in MB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 300_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = await fn();
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('bench/startup:')) throw e;
    }
    if (v) return v;
    if (Date.now() > end) throw new Error(`bench/startup: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface ModeResult {
  mode: string;
  readyMs: number;
  sandboxMs: number;
  idleRssMb: number;
  afterRssMb: number;
  peakRssMb: number;
  deliverMs: number;
  stopMs: number;
}

/**
 * The amoCRM emulator in a process of its own, with the LEADBRIDGE_ID field `leadbridge setup` would create and an
 * OAuth pair: the env a server with real credentials gets.
 */
async function externalAmo(port: number, emulatorPort: number): Promise<{ env: NodeJS.ProcessEnv; proc: ChildProcess }> {
  const clientId = randomUUID();
  const clientSecret = randomBytes(16).toString('hex');
  const redirectUri = `http://127.0.0.1:${port}/api/auth/amo/callback`;
  const args = ['emulator', '--port', String(emulatorPort), '--client-id', clientId, '--client-secret', clientSecret, '--redirect-uri', redirectUri];
  const proc = spawn(process.execPath, [join(root, 'bin', 'leadbridge.js'), ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${emulatorPort}`;
  const post = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`bench/startup: emulator ${path} answered ${res.status}`);
    return (await res.json()) as T;
  };
  const health = await until('the emulator', async () => (await fetch(`${url}/_emulator/health`)).json() as Promise<{ subdomain: string }>);
  const ll = await post<{ access_token: string }>('/_emulator/long-lived-token', { admin: true });
  await post('/api/v4/leads/custom_fields', [{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }], ll.access_token);
  const pair = await post<{ access_token: string; refresh_token: string }>('/_emulator/tokens', { admin: true });
  const env = {
    AMOCRM_DOMAIN: `${health.subdomain}.amocrm.ru`,
    AMOCRM_CLIENT_ID: clientId,
    AMOCRM_CLIENT_SECRET: clientSecret,
    AMOCRM_REDIRECT_URI: redirectUri,
    AMOCRM_ACCESS_TOKEN: pair.access_token,
    AMOCRM_REFRESH_TOKEN: pair.refresh_token,
    AMOCRM_API_BASE_URL: url,
    LEADBRIDGE_SECRET_KEY: randomBytes(32).toString('hex'),
    LEADBRIDGE_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    LEADBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
  return { env, proc };
}

async function runMode(mode: string): Promise<ModeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), `leadbridge-startup-${mode}-`));
  const scratch = mode.startsWith('postgres') ? await createScratchDatabase('bench_startup') : undefined;
  const [port, emulatorPort] = [await freePort(), await freePort()];
  const configPath = join(dataDir, 'leadbridge.yaml');
  // Every lead comes from 127.0.0.1 here: lift the per-IP intake limit (30/min by default).
  writeFileSync(configPath, 'forms:\n  site: {}\nrate_limit:\n  per_ip_per_minute: 100000\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LEADBRIDGE_EMULATOR_PORT: String(emulatorPort),
    LEADBRIDGE_DATA_DIR: dataDir,
    LEADBRIDGE_CONFIG: configPath,
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  };
  for (const k of ['DATABASE_URL', 'AMOCRM_DOMAIN', 'AMOCRM_SUBDOMAIN', 'AMOCRM_CLIENT_ID', 'AMOCRM_CLIENT_SECRET', 'AMOCRM_REFRESH_TOKEN', 'AMOCRM_ACCESS_TOKEN', 'AMOCRM_LONG_LIVED_TOKEN']) delete env[k];
  if (scratch) env.DATABASE_URL = scratch.url;
  const amo = mode === 'postgres-amo' ? await externalAmo(port, emulatorPort) : undefined;
  if (amo) Object.assign(env, amo.env);

  const started = Date.now();
  const child = spawn(process.execPath, [join(root, 'dist', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const base = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  const alive = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (gone) throw new Error('bench/startup: the server exited');
    return fn();
  };
  try {
    await until('/health 200', () => alive(async () => (await fetch(`${base}/health`).then((r) => (void r.arrayBuffer(), r.status))) === 200));
    const readyMs = Date.now() - started;
    if (!amo) await until('the sandbox connected and provisioned', async () => log.includes('SANDBOX: connected'));
    const sandboxMs = Date.now() - started;
    await sleep(10_000); // settle: start-up garbage collected, timers idle
    const idle = memory(child.pid!);

    const t0 = Date.now();
    let next = 0;
    const post = async () => {
      for (let i = next++; i < LEADS; i = next++) {
        const res = await fetch(`${base}/api/leads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `startup-${i}` },
          body: JSON.stringify({ form: 'site', name: `Гость ${i}`, phone: `+7916${String(10_000_000 + i).slice(1)}`, utm_source: 'bench' }),
        });
        if (res.status !== 202) throw new Error(`bench/startup: lead ${i} answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 20 }, post));
    await until(
      `${LEADS} deals in the emulator`,
      async () => ((await (await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/state`)).json()) as { leads: unknown[] }).leads.length >= LEADS,
      600_000,
      500,
    );
    const deliverMs = Date.now() - t0;
    await sleep(5_000);
    const after = memory(child.pid!);

    const t1 = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'no exit within 30 s')]);
    if (code !== 0) throw new Error(`bench/startup: exit after SIGTERM: ${code}`);
    return { mode, readyMs, sandboxMs, idleRssMb: idle.rss, afterRssMb: after.rss, peakRssMb: after.peak, deliverMs, stopMs: Date.now() - t1 };
  } catch (err) {
    child.kill('SIGKILL');
    console.error(`--- server log (${mode}) ---\n${log.slice(-4000)}`);
    throw err;
  } finally {
    await exited;
    amo?.proc.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

function helpTimes(): number[] {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [join(root, 'bin', 'leadbridge.js'), '--help'], { encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!out.includes('Usage: leadbridge')) throw new Error('bench/startup: unexpected --help output');
  }
  return times.sort((a, b) => a - b);
}

console.log(`bench/startup: node ${process.version}, ${LEADS} leads, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const results: ModeResult[] = [];
for (const mode of MODES) results.push(await runMode(mode));
const f = (n: number) => n.toFixed(0);
console.log('mode          ready /health  sandbox ready  RSS idle  RSS after leads  peak RSS  deliver  SIGTERM→exit');
for (const r of results) {
  console.log(
    `${r.mode.padEnd(13)} ${`${f(r.readyMs)} ms`.padStart(13)}  ${`${f(r.sandboxMs)} ms`.padStart(13)}  ${`${f(r.idleRssMb)} MB`.padStart(8)}  ${`${f(r.afterRssMb)} MB`.padStart(15)}  ${`${f(r.peakRssMb)} MB`.padStart(8)}  ${`${(r.deliverMs / 1000).toFixed(1)} s`.padStart(7)}  ${`${f(r.stopMs)} ms`.padStart(12)}`,
  );
}
const help = helpTimes();
console.log(`leadbridge --help: median ${f(help[2]!)} ms, max ${f(help[4]!)} ms (target < 1000 ms)`);
for (const r of results.filter((x) => x.mode.startsWith('postgres'))) {
  console.log(`PostgreSQL-mode RSS idle (${r.mode === 'postgres' ? 'sandbox' : 'amoCRM credentials'}): ${f(r.idleRssMb)} MB (target < 150 MB)`);
}
console.log(`load after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
