import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { createTestDb, pgliteDump } from '../../test/db.js';
import { DataDirLockedError, leads, openDb } from './index.js';

describe('openDb (PGlite data dir)', () => {
  it('migrates, locks the dir against a second open, and releases the lock on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-data-'));
    // Seed the folder from the migrated dump: a fresh initdb costs 3-10 s here, and openDb's path is the same.
    const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
    const first = await openDb({ dataDir });
    try {
      expect(first.kind).toBe('pglite');
      await first.db.insert(leads).values({ formKey: 'default', email: 'a@b.co' });
      await expect(openDb({ dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await first.close();
    }
    const again = await openDb({ dataDir });
    try {
      const rows = await again.db.select().from(leads);
      expect(rows).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});

describe('test databases', () => {
  it('are migrated and isolated from each other', async () => {
    const a = await createTestDb();
    const b = await createTestDb();
    try {
      await a.db.insert(leads).values({ formKey: 'default', email: 'iso@b.co' });
      const count = async (h: typeof a) => (await h.executeSql('select count(*)::int as n from leads')).rows[0];
      expect(await count(a)).toEqual({ n: 1 });
      expect(await count(b)).toEqual({ n: 0 });
      await a.ping();
      expect((await a.executeSql('select 1 as one; select 2 as two')).rows).toEqual([{ one: 1 }, { two: 2 }]);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('openDb migrates an already-migrated database again without harm (PostgreSQL by URL, or a PGlite dir)', async () => {
    const t = await createTestDb();
    try {
      if (t.url) {
        const h = await openDb({ url: t.url });
        expect(h.kind).toBe('postgres');
        await h.db.insert(leads).values({ formKey: 'default', phone: '+79123456789' });
        await h.close();
        expect((await t.db.select().from(leads)).map((r) => r.phone)).toEqual(['+79123456789']);
      } else {
        expect(t.kind).toBe('pglite');
        expect(await t.db.select().from(leads)).toEqual([]);
      }
    } finally {
      await t.cleanup();
    }
  });
});
