// `leadbridge backup`, `leadbridge restore`, `leadbridge forget` (docs/privacy.md). While a running server holds the
// embedded database, backup and forget ask that server (GET /api/admin/backup, POST /api/admin/forget; see
// server-api.ts for how it is found and which token is used); restore runs only with the server stopped.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { DataDirLockedError } from '../db/index.js';
import { dumpPglite, PrivacyError, restorePglite, verifyArchive, type ForgetRequest, type ForgetResult } from '../privacy/index.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import { ServerApiError } from './server-api.js';
import { isOperatorError, type CommandIo } from './setup.js';
import { COMMANDS } from './commands.js';

const PG_DUMP_HINT =
  'the database is PostgreSQL (DATABASE_URL): use pg_dump / pg_restore, e.g. `pg_dump -Fc -f leadbridge.dump "$DATABASE_URL"` (docs/privacy.md)';

export interface BackupOptions {
  out?: string;
}

/** Returns the exit code. */
export async function backupCommand(config: Config, o: BackupOptions, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  if (config.databaseUrl) throw new PrivacyError('BACKUP_USE_PG_DUMP', 409, PG_DUMP_HINT);
  const file = resolve(o.out ?? `leadbridge-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`);
  if (existsSync(file)) throw new PrivacyError('BACKUP_EXISTS', 409, `${file} exists: name another file with --out`);
  let bytes: Uint8Array;
  let via: string;
  const target = await openRuntimeOrServer(config, io, { migrate: false });
  if (target.kind === 'runtime') {
    bytes = await withRuntime(target.rt, (rt) => dumpPglite(rt.db));
    via = 'the data directory';
  } else {
    bytes = (await target.api.call<Uint8Array>('GET', '/api/admin/backup', { bytes: true })).body;
    via = 'the running server';
  }
  const info = await verifyArchive(bytes);
  writeFileSync(`${file}.part`, bytes, { flag: 'wx' });
  renameSync(`${file}.part`, file);
  out(`backup written: ${file} (${info.bytes} bytes, ${info.leads} leads, from ${via})`);
  return 0;
}

export async function restoreCommand(config: Config, file: string, o: { force?: boolean }, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  if (config.databaseUrl) {
    throw new PrivacyError(
      'RESTORE_USE_PG_RESTORE',
      409,
      'the database is PostgreSQL (DATABASE_URL): stop the server, then `pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" leadbridge.dump` (docs/privacy.md)',
    );
  }
  const bytes = readFileSync(resolve(file));
  try {
    const r = await restorePglite(config.dataDir, bytes, { force: o.force ?? false });
    out(`restored ${r.leads} leads into ${resolve(config.dataDir)}${r.movedAside ? ` (the previous database is kept at ${r.movedAside})` : ''}`);
    return 0;
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      throw new PrivacyError('SERVER_RUNNING', 409, `a server is running on this data directory (process ${e.pid}): stop it first, restore never replaces a live database`);
    }
    throw e;
  }
}

export function formatForget(r: ForgetResult): string {
  const tables = Object.entries(r.tables).map(([t, n]) => `  ${t}: ${n}`);
  return [`erased: ${r.leads} lead(s) anonymised`, ...(tables.length ? tables : ['  nothing else matched'])].join('\n');
}

export async function forgetCommand(config: Config, req: ForgetRequest, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const target = await openRuntimeOrServer(config, io);
  if (target.kind === 'server') {
    out(formatForget((await target.api.call<ForgetResult>('POST', '/api/admin/forget', { body: req })).body));
    return 0;
  }
  out(formatForget(await withRuntime(target.rt, async (rt) => (await rt.privacy()).forget(req))));
  return 0;
}

async function run(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (e) {
    process.stderr.write(`leadbridge: ${isOperatorError(e) || e instanceof PrivacyError || e instanceof ServerApiError || e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

export function registerPrivacyCommands(program: Command): void {
  program
    .command('backup')
    .description(COMMANDS['backup'])
    .option('--out <file>', 'where to write the .tar.gz (default ./leadbridge-backup-<time>.tar.gz)')
    .action((o: BackupOptions) => run(() => backupCommand(loadConfig(process.env), o)));
  program
    .command('restore <file>')
    .description(COMMANDS['restore'])
    .option('--force', 'replace a database already there (it is kept beside, renamed)')
    .action((file: string, o: { force?: boolean }) => run(() => restoreCommand(loadConfig(process.env), file, o)));
  program
    .command('forget')
    .description(COMMANDS['forget'])
    .option('--phone <phone>', 'the phone, in any spelling (normalised like intake)')
    .option('--email <email>', 'the email')
    .action((o: ForgetRequest) => run(() => forgetCommand(loadConfig(process.env), o)));
}
