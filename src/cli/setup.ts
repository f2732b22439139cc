// `leadbridge setup [--dry-run] [--config path]`: create what the config's `account:` section needs in amoCRM (never
// deletes), subscribe Leadbridge's webhook URL, store the resolved ids. A second run changes nothing and says so.
// While a running server holds the embedded database, the server runs it (POST /api/admin/setup, server-api.ts).
import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { ConnectError } from '../connect/index.js';
import { DataDirLockedError } from '../db/index.js';
import { setupReport } from '../ops/index.js';
import type { CommandIo } from './io.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import { ServerApiError } from './server-api.js';
import { COMMANDS } from './commands.js';

export type { CommandIo } from './io.js';

/** Errors whose message is the whole story (bad config, data dir in use, missing secret key, server unreachable). */
export function isOperatorError(e: unknown): e is Error {
  return e instanceof ConfigError || e instanceof DataDirLockedError || e instanceof ConnectError || e instanceof ServerApiError;
}

export const stdout = (t: string) => process.stdout.write(`${t}\n`);

export const stderr = (t: string) => process.stderr.write(`${t}\n`);

/** A command the server ran for us (POST /api/admin/setup): what it printed and its exit code. */
export interface WireReport {
  exit_code: number;
  stdout: string[];
  stderr: string[];
}

/** Prints a report the server ran for us; returns its exit code. */
export function printReport(r: WireReport, io: CommandIo): number {
  for (const l of r.stdout) (io.out ?? stdout)(l);
  for (const l of r.stderr) (io.err ?? stderr)(l);
  return r.exit_code;
}

/** A commander action that prints an error as one line (exit 1) instead of a stack trace. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await run(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      // Anything else is unexpected: still one line, the stack with LOG_LEVEL=debug.
      const debug = /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '');
      if (isOperatorError(e)) process.stderr.write(`leadbridge: ${e.message}\n`);
      else if (debug && e instanceof Error) process.stderr.write(`leadbridge: ${e.stack ?? e.message}\n`);
      else process.stderr.write(`leadbridge: ${e instanceof Error ? e.message : String(e)} (LOG_LEVEL=debug shows the stack)\n`);
      process.exitCode = 1;
    }
  };
}

interface SetupCliOptions {
  config?: string;
  dryRun?: boolean;
}

/** Runs setup with the app's connection (or through the running server); `io.db` reuses an open database (tests). */
export async function setupCommand(config: Config, o: { dryRun?: boolean }, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? stdout;
  const target = await openRuntimeOrServer(config, io);
  if (target.kind === 'server') {
    const r = await target.api.call<WireReport>('POST', '/api/admin/setup', { body: { dry_run: o.dryRun === true } });
    return printReport(r.body, io);
  }
  return withRuntime(target.rt, async (rt) => {
    const { conn } = await rt.connection();
    if (!conn) throw new Error('setup needs the amoCRM connection');
    return setupReport({ config, db: rt.db, conn, dryRun: o.dryRun === true, print: out });
  });
}

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description(COMMANDS['setup'])
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--dry-run', 'print the plan and change nothing')
    .action(
      action(async (o: SetupCliOptions) => {
        const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
        return setupCommand(config, { dryRun: o.dryRun === true });
      }),
    );
}
