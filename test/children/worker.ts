// Test/bench helper: run `leadbridge worker` as a child process (node --import tsx src/cli/index.ts worker …).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildWorker {
  proc: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface ChildWorkerOptions {
  /** postgres:// URL, or a PGlite data dir. */
  databaseUrl?: string;
  dataDir?: string;
  amoBaseUrl: string;
  amoDomain: string;
  token: string;
  configPath?: string;
  args?: string[];
}

export function spawnWorker(o: ChildWorkerOptions): ChildWorker {
  const env: NodeJS.ProcessEnv = { ...process.env, LEADBRIDGE_CONFIG: o.configPath ?? '/nonexistent/leadbridge.yaml', AMOCRM_DOMAIN: o.amoDomain, AMOCRM_LONG_LIVED_TOKEN: o.token, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.LEADBRIDGE_DATA_DIR;
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  if (o.dataDir) env.LEADBRIDGE_DATA_DIR = o.dataDir;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'worker', '--amo-base-url', o.amoBaseUrl, ...(o.args ?? [])], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    output: () => out,
    exited,
    kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Most requests seen in any 1-second window (sliding, by arrival time). */
export function maxRequestsPerSecond(at: number[]): number {
  const sorted = [...at].sort((a, b) => a - b);
  let max = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}
