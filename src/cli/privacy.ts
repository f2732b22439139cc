// `leadbridge backup`, `leadbridge restore`, `leadbridge forget` (docs/privacy.md). While a running server holds the
// embedded database, backup and forget ask that server (GET /api/admin/backup, POST /api/admin/forget,
// LEADBRIDGE_ADMIN_TOKEN); restore runs only with the server stopped.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { DataDirLockedError, openDb, type Db } from '../db/index.js';
import { dumpPglite, forgetPerson, PrivacyError, restorePglite, verifyArchive, type ForgetRequest, type ForgetResult } from '../privacy/index.js';
import { isOperatorError, type CommandIo } from './setup.js';

const PG_DUMP_HINT =
  'the database is PostgreSQL (DATABASE_URL): use pg_dump / pg_restore, e.g. `pg_dump -Fc -f leadbridge.dump "$DATABASE_URL"` (docs/privacy.md)';

/** The running server's admin API (the data directory is locked by it). */
async function askServer(config: Config, path: string, init: RequestInit = {}): Promise<Response> {
  if (!config.adminToken) {
    throw new PrivacyError(
      'ADMIN_TOKEN_REQUIRED',
      401,
      'the running server holds the data directory: set LEADBRIDGE_ADMIN_TOKEN (the sandbox prints its generated one at start) so this command can ask it, or stop the server',
    );
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const res = await fetch(`http://${host}:${config.port}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${config.adminToken}` },
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    throw new PrivacyError(body.code ?? 'SERVER_ERROR', res.status, `the running server answered ${res.status} ${body.code ?? ''} to ${init.method ?? 'GET'} ${path}${body.detail ? `: ${body.detail}` : ''}`);
  }
  return res;
}

function openConfigured(config: Config, migrate: boolean): Promise<Db> {
  return openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), migrate });
}

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
  let db: Db | undefined = io.db;
  try {
    db ??= await openConfigured(config, false);
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
  }
  if (db) {
    try {
      bytes = await dumpPglite(db);
      via = 'the data directory';
    } finally {
      if (!io.db) await db.close();
    }
  } else {
    bytes = new Uint8Array(await (await askServer(config, '/api/admin/backup')).arrayBuffer());
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
  let db: Db | undefined = io.db;
  try {
    db ??= await openConfigured(config, true);
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    const res = await askServer(config, '/api/admin/forget', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) });
    out(formatForget((await res.json()) as ForgetResult));
    return 0;
  }
  try {
    out(formatForget(await forgetPerson({ db: db.db, defaultCountry: config.defaultCountry }, req)));
    return 0;
  } finally {
    if (!io.db) await db.close();
  }
}

async function run(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (e) {
    process.stderr.write(`leadbridge: ${isOperatorError(e) || e instanceof PrivacyError || e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

export function registerPrivacyCommands(program: Command): void {
  program
    .command('backup')
    .description('Back up the embedded database (a consistent copy, also while the server runs); PostgreSQL: use pg_dump')
    .option('--out <file>', 'where to write the .tar.gz (default ./leadbridge-backup-<time>.tar.gz)')
    .action((o: BackupOptions) => run(() => backupCommand(loadConfig(process.env), o)));
  program
    .command('restore <file>')
    .description('Restore a backup into LEADBRIDGE_DATA_DIR (server stopped); the archive is verified first')
    .option('--force', 'replace a database already there (it is kept beside, renamed)')
    .action((file: string, o: { force?: boolean }) => run(() => restoreCommand(loadConfig(process.env), file, o)));
  program
    .command('forget')
    .description("Erase a person's personal data (leads stay as anonymous counts); prints what was erased per table")
    .option('--phone <phone>', 'the phone, in any spelling (normalised like intake)')
    .option('--email <email>', 'the email')
    .action((o: ForgetRequest) => run(() => forgetCommand(loadConfig(process.env), o)));
}
