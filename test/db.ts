// Test databases. PostgreSQL when TEST_DATABASE_URL is set: `create database t_<rand> template <tpl>` per call
// (the template is migrated once per run by test/global-setup.ts). Otherwise PGlite loaded from a migrated dump.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { migrateDb, wrapPglite, wrapPostgres, type Db } from '../src/db/index.js';
import { databaseUrl } from './db-url.js';
import { migratedPgliteDump } from './pglite-dump.js';

/** `url`: the test database's URL on PostgreSQL (undefined on PGlite). */
export type TestDb = Db & { cleanup(): Promise<void>; url?: string };

let dumpCache: Promise<Buffer> | undefined;

/** The migrated PGlite dump (gzip tarball) of this run; `new PGlite(dir, { loadDataDir })` starts from it. */
export function pgliteDump(): Promise<Buffer> {
  const file = inject('testPgliteDump');
  // Without the globalSetup (a single file run by hand with another config) migrate once per worker instead.
  dumpCache ??= file ? Promise.resolve(readFileSync(file)) : migratedPgliteDump();
  return dumpCache;
}

export async function createTestDb(): Promise<TestDb> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    let template = inject('testTemplateDb');
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      if (template) {
        await admin.query(`create database ${name} template ${template}`);
      } else {
        await admin.query(`create database ${name}`);
        template = '';
      }
    } finally {
      await admin.end();
    }
    const dbUrl = databaseUrl(url, name);
    const handle = wrapPostgres(new pg.Pool({ connectionString: dbUrl, max: 5 }));
    if (!template) await migrateDb(handle);
    const cleanup = async () => {
      await handle.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    };
    return { ...handle, cleanup, url: dbUrl };
  }
  const dump = await pgliteDump();
  const client = await PGlite.create({ loadDataDir: new Blob([new Uint8Array(dump)]) });
  const handle = await wrapPglite(client);
  return { ...handle, cleanup: () => handle.close() };
}
