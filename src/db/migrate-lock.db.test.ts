// Several instances starting at once on one empty PostgreSQL database: the migration lock lets one migrate and the
// others find nothing to do, so every migration is applied exactly once and every instance starts. Needs PostgreSQL
// (TEST_DATABASE_URL; CI sets it). On PGlite one process owns the data dir (open.db.test.ts shows the lock).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../test/db-url.js';
import { MIGRATIONS_FOLDER, openDb, type Db } from './index.js';

const url = process.env.TEST_DATABASE_URL;
if (!url) process.stdout.write('migrate-lock.db.test.ts: skipped — set TEST_DATABASE_URL (PostgreSQL) to start instances side by side\n');
const name = `t_migrate_${process.pid}_${Date.now()}`;
const opened: Db[] = [];

afterAll(async () => {
  for (const d of opened) await d.close();
  if (!url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.end();
});

describe.skipIf(!url)('migrations on PostgreSQL', () => {
  it('four instances opening one empty database at once apply each migration once, and all start', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const target = databaseUrl(url ?? '', name);
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => openDb({ url: target, migrate: true })));
    for (const r of results) if (r.status === 'fulfilled') opened.push(r.value);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
    const rows = await opened[0]!.executeSql('select count(*)::int as n, count(distinct hash)::int as d from drizzle.__drizzle_migrations');
    expect(rows.rows[0]).toEqual({ n: journal.entries.length, d: journal.entries.length });
  });
});
