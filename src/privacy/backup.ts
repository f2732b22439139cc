// Backup and restore of the embedded database (PGlite). A backup is PGlite's own data-directory tarball
// (`dumpDataDir`, gzip), taken between two statements of the one PGlite session after a CHECKPOINT: a consistent
// image whatever the server is doing (a transaction still open at that moment is rolled back when it is loaded,
// as after a crash). On PostgreSQL use pg_dump / pg_restore (docs/privacy.md).
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { acquireDirLock, type Db, type PgliteClient } from '../db/index.js';
import { PrivacyError } from './forget.js';

export interface ArchiveInfo {
  /** Leads in the archive (a sanity number for the operator). */
  leads: number;
  /** Applied migrations in the archive. */
  migrations: number;
  bytes: number;
}

/** PGlite itself is loaded only when an archive is opened (a PostgreSQL server never loads it). */
const loadPglite = async () => (await import('@electric-sql/pglite')).PGlite;

export function pgliteClient(db: Db): PgliteClient {
  if (db.kind !== 'pglite') {
    throw new PrivacyError('BACKUP_USE_PG_DUMP', 409, 'the database is PostgreSQL (DATABASE_URL): back it up with pg_dump (docs/privacy.md)');
  }
  return (db.db as unknown as { $client: PgliteClient }).$client;
}

/** The gzip tarball of the embedded database, taken while it runs. */
export async function dumpPglite(db: Db): Promise<Uint8Array> {
  const client = pgliteClient(db);
  await client.exec('checkpoint');
  const blob = await client.dumpDataDir('gzip');
  return new Uint8Array(await blob.arrayBuffer());
}

/** Opens the archive in memory and reads it: throws BACKUP_INVALID when it is not a Leadbridge database. */
export async function verifyArchive(bytes: Uint8Array): Promise<ArchiveInfo> {
  let pg: PGlite | undefined;
  try {
    pg = await (await loadPglite()).create({ loadDataDir: new Blob([new Uint8Array(bytes)]) });
    const leads = await pg.query<{ n: number }>('select count(*)::int as n from leads');
    const migrations = await pg.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
    return { leads: leads.rows[0]?.n ?? 0, migrations: migrations.rows[0]?.n ?? 0, bytes: bytes.byteLength };
  } catch (err) {
    throw new PrivacyError('BACKUP_INVALID', 422, `the file is not a Leadbridge backup (${err instanceof Error ? err.message.split('\n')[0] : 'unreadable'})`);
  } finally {
    await pg?.close().catch(() => undefined);
  }
}

export interface RestoreOptions {
  /** Replace a data directory that already holds a database (it is kept beside, renamed). */
  force?: boolean;
  now?: () => Date;
}

export interface RestoreResult extends ArchiveInfo {
  /** Where the database that was there went (with --force). */
  movedAside?: string;
}

/**
 * Restores into `<dataDir>/pglite`. Takes the data-directory lock (DataDirLockedError while a server runs), refuses a
 * non-empty database without `force`, verifies the archive first, and never deletes: the old database is renamed.
 */
export async function restorePglite(dataDir: string, bytes: Uint8Array, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const dir = resolve(dataDir);
  const lock = acquireDirLock(join(dir, 'leadbridge.lock'));
  try {
    const target = join(dir, 'pglite');
    const occupied = existsSync(target) && readdirSync(target).length > 0;
    if (occupied && !opts.force) {
      throw new PrivacyError('DATA_DIR_NOT_EMPTY', 409, `${target} already holds a database: restore into a fresh LEADBRIDGE_DATA_DIR, or pass --force (the current one is kept beside, renamed)`);
    }
    const info = await verifyArchive(bytes);
    const result: RestoreResult = { ...info };
    if (occupied) {
      const stamp = (opts.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
      result.movedAside = join(dir, `pglite.before-restore-${stamp}`);
      renameSync(target, result.movedAside);
    }
    const pg = await (await loadPglite()).create(target, { loadDataDir: new Blob([new Uint8Array(bytes)]) });
    try {
      const n = await pg.query<{ n: number }>('select count(*)::int as n from leads');
      if ((n.rows[0]?.n ?? -1) !== info.leads) throw new PrivacyError('RESTORE_MISMATCH', 500, 'the restored database does not match the archive');
    } finally {
      await pg.close();
    }
    return result;
  } finally {
    lock.release();
  }
}
