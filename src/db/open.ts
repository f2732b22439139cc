// One Db handle over two drivers: PostgreSQL (DATABASE_URL, node-postgres pool) or embedded PGlite (a folder).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Logger } from 'pino';
import { acquireDirLock, type DirLock } from './lock.js';
import type { PgliteClient } from './pglite-thread.js';
import type { Database, Db } from './types.js';
import * as schema from './schema/index.js';

export type { Database, Db, Schema, SqlResult } from './types.js';

export interface OpenDbOptions {
  /** postgres:// URL; when absent, PGlite in `dataDir`. */
  url?: string;
  /** PGlite data folder (default ./data). The database lives in `<dataDir>/pglite`, the lock in `<dataDir>/leadbridge.lock`. */
  dataDir?: string;
  /** Apply drizzle/ migrations (default true). */
  migrate?: boolean;
  /**
   * Run the embedded database on a worker thread (default true; pglite-thread.ts): its statements then never hold
   * up the server's event loop (timers fire on time: the amoCRM rate limiter stops losing slots), at the price of a
   * thread hop per statement (measured in docs/webhooks.md). False (LEADBRIDGE_PGLITE_THREAD=off) runs PGlite on
   * the calling thread.
   */
  pgliteThread?: boolean;
  logger?: Logger;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Wraps an open PGlite (tests use `loadDataDir`). `onClose` runs after the PGlite is closed. The PGlite driver
 * (src/db/pglite.ts) is loaded only here and by `openDb` without a URL: a PostgreSQL server never loads it.
 */
export async function wrapPglite(client: PgliteClient, onClose?: () => void | Promise<void>): Promise<Db> {
  const { wrapPgliteClient } = await import('./pglite.js');
  return wrapPgliteClient(client, onClose);
}

export function wrapPostgres(pool: pg.Pool, onIdleError?: (err: Error) => void): Db {
  // An idle pooled client whose connection dies (server restart, failover, a dropped database) emits 'error' on
  // the pool; without a listener that is an uncaught exception that kills the process. The pool replaces the
  // client on the next checkout, so report it and carry on.
  pool.on('error', (err) => onIdleError?.(err));
  const db = drizzlePg(pool, { schema }) as unknown as Database;
  let closed = false;
  return {
    db,
    kind: 'postgres',
    async executeSql(text, values) {
      const res = await pool.query(text, values as unknown[] | undefined);
      // A multi-statement query returns an array of results.
      const list = Array.isArray(res) ? (res as pg.QueryResult[]) : [res];
      return { rows: list.flatMap((r) => (r.rows ?? []) as Record<string, unknown>[]) };
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

// Drizzle's migrator takes no lock (drizzle-orm/pg-core/dialect.js migrate): two instances started together on one
// PostgreSQL would both apply the same migration. So on PostgreSQL the whole run holds a session advisory lock on
// one pooled connection, and the migrator runs on that same connection; whoever waits then finds nothing to do.
// PGlite needs none: its data-dir lock already admits one process.
const MIGRATION_LOCK = sql`select pg_advisory_lock(hashtext('leadbridge/migrate'))`;
const MIGRATION_UNLOCK = sql`select pg_advisory_unlock(hashtext('leadbridge/migrate'))`;

export async function migrateDb(handle: Db): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (handle.kind === 'pglite') {
    const { migratePgliteDb } = await import('./pglite.js');
    await migratePgliteDb(handle, config);
    return;
  }
  const pool = (handle.db as unknown as { $client: pg.Pool }).$client;
  const client = await pool.connect();
  try {
    const locked = drizzlePg(client, { schema });
    await locked.execute(MIGRATION_LOCK);
    try {
      await migratePg(locked, config);
    } finally {
      await locked.execute(MIGRATION_UNLOCK);
    }
  } finally {
    client.release();
  }
}

export async function openDb(opts: OpenDbOptions = {}): Promise<Db> {
  const log = opts.logger?.child({ module: 'db' });
  let handle: Db;
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    handle = wrapPostgres(pool, (err) => log?.warn({ err }, 'idle postgres client lost'));
    try {
      await handle.ping();
    } catch (err) {
      await handle.close();
      throw err;
    }
  } else {
    const dataDir = resolve(opts.dataDir ?? './data');
    mkdirSync(dataDir, { recursive: true });
    const lock: DirLock = acquireDirLock(join(dataDir, 'leadbridge.lock'));
    try {
      const path = join(dataDir, 'pglite');
      const client: PgliteClient =
        (opts.pgliteThread ?? true)
          ? await (await import('./pglite-thread.js')).PgliteThread.open(path)
          : await (await import('@electric-sql/pglite')).PGlite.create(path);
      handle = await wrapPglite(client, () => lock.release());
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  if (opts.migrate ?? true) {
    const started = Date.now();
    try {
      await migrateDb(handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
    log?.info({ kind: handle.kind, ms: Date.now() - started }, 'migrations applied');
  }
  log?.info({ kind: handle.kind }, 'database open');
  return handle;
}
