// The embedded database on a worker thread (the default; LEADBRIDGE_PGLITE_THREAD=off turns it off) behaves as the in-thread PGlite does for
// everything Leadbridge relies on: migrations through drizzle, commits and rollbacks, PostgreSQL error codes,
// statements outside a transaction waiting for it, the backup dump, and close.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDump } from '../../test/db.js';
import { dumpPglite } from '../privacy/index.js';
import { leads, openDb, type Db } from './index.js';

describe('PGlite on its own thread', () => {
  let db: Db;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-thread-'));
    const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
    // Migrations run through the thread too (drizzle's migrator: its own transaction and statements).
    db = await openDb({ dataDir, pgliteThread: true });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('runs drizzle queries with their types (timestamps as Date, jsonb as objects)', async () => {
    const [row] = await db.db.insert(leads).values({ formKey: 'thread', email: 't@b.co', extra: { a: [1, 2] } }).returning();
    expect(row?.createdAt).toBeInstanceOf(Date);
    const [back] = await db.db.select().from(leads).where(sql`${leads.id} = ${row?.id}`);
    expect(back?.extra).toEqual({ a: [1, 2] });
    expect(back?.createdAt.getTime()).toBe(row?.createdAt.getTime());
  });

  it('commits a transaction, rolls back a failed one, and keeps the error code', async () => {
    await db.db.transaction(async (tx) => {
      await tx.insert(leads).values({ formKey: 'thread-commit', email: 'c@b.co' });
    });
    const err = await db.db
      .transaction(async (tx) => {
        await tx.insert(leads).values({ formKey: 'thread-rollback', email: 'r@b.co' });
        await tx.execute(sql`select 1 / 0`);
      })
      .catch((e: unknown) => e);
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('22012');
    const forms = await db.executeSql(`select form_key from leads where form_key like 'thread-%' order by form_key`);
    expect(forms.rows).toEqual([{ form_key: 'thread-commit' }]);
  });

  it('makes a statement from outside an open transaction wait for it, as one session does', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.db.transaction(async (t) => {
      await t.insert(leads).values({ formKey: 'thread-wait', email: 'w@b.co' });
      order.push('inserted');
      await held;
      order.push('committing');
    });
    while (order.length === 0) await new Promise((r) => setTimeout(r, 5));
    const outside = db.executeSql(`select count(*)::int as n from leads where form_key = 'thread-wait'`).then((r) => {
      order.push('outside read');
      return r.rows[0];
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['inserted']);
    release();
    await tx;
    expect(await outside).toEqual({ n: 1 });
    expect(order).toEqual(['inserted', 'committing', 'outside read']);
  });

  it('dumps the data directory for a backup', async () => {
    const bytes = await dumpPglite(db);
    // gzip magic
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(bytes.byteLength).toBeGreaterThan(10_000);
  });

  it('refuses statements after close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-thread-close-'));
    const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
    const other = await openDb({ dataDir, pgliteThread: true, migrate: false });
    await other.close();
    await expect(other.executeSql('select 1')).rejects.toThrow(/closed/);
  });
});
