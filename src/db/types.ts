// The handle's types, shared by both drivers (open.ts, pglite.ts).
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema/index.js';

export type Schema = typeof schema;
/** One type for both drivers; query results differ only in raw `execute()` (cast in SQL, stack.md §4.7). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface SqlResult {
  rows: Record<string, unknown>[];
}

export interface Db {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Raw SQL for adapters (pg-boss). Multi-statement text is allowed when `values` is empty. */
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
  /** `select 1`; throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
