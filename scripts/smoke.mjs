#!/usr/bin/env node
// Smoke test of the BUILT server (`.ci/run` after `npm run build`): `leadbridge --help`, then `npm start`'s command
// (node dist/main.js) in the sandbox on free ports with a fresh data dir: ready /health, one lead delivered into the
// built-in emulator, SIGTERM, a clean exit that frees the ports and the data-dir lock. Exit 1 with the log otherwise.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUDGET_MS = Number(process.env.SMOKE_BUDGET_MS ?? 180_000); // one budget for the whole run (loaded CI machine)
const deadline = Date.now() + BUDGET_MS;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(what, fn) {
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`smoke: timed out waiting for ${what}`);
    await sleep(200);
  }
}

const help = execFileSync(process.execPath, [join(root, 'bin', 'leadbridge.js'), '--help'], { encoding: 'utf8' });
if (!help.includes('Usage: leadbridge')) throw new Error(`smoke: unexpected --help output:\n${help}`);
console.log('smoke: leadbridge --help ok');

const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-smoke-'));
const port = Number(process.env.SMOKE_PORT ?? 0) || (await freePort());
const emulatorPort = Number(process.env.SMOKE_EMULATOR_PORT ?? 0) || (await freePort());
const env = { ...process.env, PORT: String(port), LEADBRIDGE_EMULATOR_PORT: String(emulatorPort), LEADBRIDGE_DATA_DIR: dataDir, LEADBRIDGE_CONFIG: join(dataDir, 'none.yaml'), LOG_LEVEL: 'info' };
for (const k of ['DATABASE_URL', 'AMOCRM_DOMAIN', 'AMOCRM_SUBDOMAIN', 'AMOCRM_CLIENT_ID', 'AMOCRM_CLIENT_SECRET', 'AMOCRM_REFRESH_TOKEN', 'AMOCRM_ACCESS_TOKEN', 'AMOCRM_LONG_LIVED_TOKEN']) delete env[k];
const child = spawn(process.execPath, [join(root, 'dist', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
child.stdout.on('data', (d) => (log += d));
child.stderr.on('data', (d) => (log += d));
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
const base = `http://127.0.0.1:${port}`;
try {
  await until('/health 200', async () => (await fetch(`${base}/health`)).status === 200);
  await until('the sandbox connected and provisioned', async () => log.includes('SANDBOX: connected'));
  console.log('smoke: /health ready, sandbox connected');
  const res = await fetch(`${base}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Smoke Test', phone: '+79001234567', email: 'smoke@example.com', utm_source: 'ci' }),
  });
  if (res.status !== 202) throw new Error(`smoke: POST /api/leads answered ${res.status}: ${await res.text()}`);
  const { id } = await res.json();
  const deal = await until('the lead as a deal in the emulator', async () => {
    const state = await (await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/state`)).json();
    return state.leads?.find((l) => JSON.stringify(l).includes(id));
  });
  console.log(`smoke: lead ${id} delivered as emulator deal ${deal.id}`);
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(30_000).then(() => 'no exit within 30 s')]);
  if (code !== 0) throw new Error(`smoke: server exit after SIGTERM: ${code}`);
  if (existsSync(join(dataDir, 'leadbridge.lock'))) throw new Error('smoke: the data-dir lock was left behind');
  await until('the port to be free', async () => (await fetch(`${base}/health`).then(() => false, () => true)));
  console.log('smoke: SIGTERM stopped the server cleanly (exit 0, port and lock released)');
} catch (err) {
  child.kill('SIGKILL');
  console.error(String(err instanceof Error ? err.message : err));
  console.error(`--- server log ---\n${log.slice(-8000)}`);
  process.exitCode = 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
