// The embedded driver: a Db over one PGlite session. Loaded on demand by open.ts (a PostgreSQL server never
// loads PGlite or drizzle's PGlite driver).
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteClient } from './pglite-thread.js';
import type { Database, Db } from './types.js';
import * as schema from './schema/index.js';

export function wrapPgliteClient(client: PgliteClient, onClose?: () => void | Promise<void>): Db {
  const db = drizzlePglite(client as unknown as PGlite, { schema }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    async executeSql(text, values) {
      try {
        if (values && values.length > 0) return await client.query(text, values as unknown[]);
        const results = await client.exec(text);
        return { rows: results.flatMap((r) => r.rows as Record<string, unknown>[]) };
      } catch (err) {
        // PGlite is one session: a failed multi-statement block leaves it "aborted" until ROLLBACK.
        await client.exec('rollback').catch(() => undefined);
        throw err;
      }
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
      await onClose?.();
    },
  };
}

export async function migratePgliteDb(handle: Db, config: { migrationsFolder: string }): Promise<void> {
  await migratePglite(handle.db as unknown as Parameters<typeof migratePglite>[0], config);
}
