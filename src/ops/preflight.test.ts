// Start-up failures an operator meets first, each ONE line on stderr with the fix, no stack, exit code 1, and (for
// the port) before the slow work: the real `src/main.ts` in a child process.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataDir, checkPortFree, StartupError } from './preflight.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((ok) => busy.close(() => ok()));
});

/** Runs `npm start`'s file with this environment (cwd: a fresh directory, so no .env of the repo is read). */
function start(env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'leadbridge-start-'));
  const r = spawnSync(process.execPath, ['--import', tsx, join(root, 'src/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LEADBRIDGE_CONFIG: join(cwd, 'none.yaml'), LEADBRIDGE_EMULATOR_PORT: '0', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  return { status: r.status, lines };
}

describe('start-up checks', () => {
  it('checkPortFree names the setting and the fix; a free port passes', async () => {
    await expect(checkPortFree(busyPort, '127.0.0.1', 'PORT')).rejects.toThrow(StartupError);
    await expect(checkPortFree(busyPort, '127.0.0.1', 'PORT')).rejects.toThrow(`port ${busyPort} (PORT) is already in use`);
    await expect(checkPortFree(0, '127.0.0.1', 'PORT')).resolves.toBeUndefined();
  });

  it('a port in use: one line with the fix, before the database is created', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-data-'));
    const r = start({ PORT: String(busyPort), HOST: '127.0.0.1', LEADBRIDGE_DATA_DIR: dataDir });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(new RegExp(`^leadbridge: port ${busyPort} \\(PORT\\) is already in use on 127\\.0\\.0\\.1: .*PORT=<another port>$`))]);
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  }, 120_000);

  it('a data directory that cannot be written: one line naming it and the fix', () => {
    // root may write anywhere except a filesystem that refuses it: sysfs refuses mkdir even to root.
    let dataDir = '/sys/leadbridge-data-test';
    if (process.getuid?.() !== 0) {
      const parent = mkdtempSync(join(tmpdir(), 'leadbridge-ro-'));
      dataDir = join(parent, 'data');
      mkdirSync(dataDir);
      chmodSync(dataDir, 0o555);
    }
    expect(() => checkDataDir(dataDir)).toThrow(StartupError);
    const r = start({ PORT: '0', LEADBRIDGE_DATA_DIR: dataDir });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(new RegExp(`^leadbridge: data directory ${dataDir} is not writable by user \\d+: .*LEADBRIDGE_DATA_DIR`))]);
  }, 120_000);

  it('a data directory locked by a running Leadbridge: one line with the pid and the fix', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-locked-'));
    writeFileSync(join(dataDir, 'leadbridge.lock'), `${process.pid}\n`);
    const r = start({ PORT: '0', LEADBRIDGE_DATA_DIR: dataDir });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(new RegExp(`^leadbridge: data directory is in use by process ${process.pid} .*LEADBRIDGE_DATA_DIR`))]);
  }, 120_000);
});
