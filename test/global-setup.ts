// Vitest globalSetup: migrate ONE database per run, then every createTestDb() copies it (test/db.ts).
// PostgreSQL (TEST_DATABASE_URL): a template database. Otherwise PGlite: a dumped data dir (cached on disk).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_FOLDER, migrateDb, wrapPostgres } from '../src/db/index.js';
import { databaseUrl } from './db-url.js';
import { migratedPgliteDump } from './pglite-dump.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testTemplateDb: string;
    testPgliteDump: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const template = `leadbridge_tpl_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${template}`);
    await admin.end();
    const handle = wrapPostgres(new pg.Pool({ connectionString: databaseUrl(url, template), max: 1 }));
    await migrateDb(handle);
    await handle.close();
    project.provide('testTemplateDb', template);
    project.provide('testPgliteDump', '');
    return async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${template} with (force)`);
      await c.end();
    };
  }
  project.provide('testTemplateDb', '');
  project.provide('testPgliteDump', await cachedPgliteDump());
  return async () => undefined;
}

/**
 * The migrated PGlite dump, cached in node_modules/.cache by a hash of drizzle/ (a new migration → a new dump),
 * so runs after the first skip the ~3-8 s initdb + migrate. Written to a temp name, then renamed (atomic).
 */
async function cachedPgliteDump(): Promise<string> {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(name).update(readFileSync(path));
    }
  };
  walk(MIGRATIONS_FOLDER);
  const cacheDir = fileURLToPath(new URL('../node_modules/.cache/leadbridge-test', import.meta.url));
  const file = join(cacheDir, `pglite-${hash.digest('hex').slice(0, 16)}.tar.gz`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, await migratedPgliteDump());
  renameSync(tmp, file);
  return file;
}
