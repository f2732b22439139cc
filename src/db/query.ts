// The one transaction type and the typed raw-query helpers every domain uses, so no domain needs to know which
// driver answers (PGlite or node-postgres) or cast the untyped result of `execute()` itself.
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Database, Db } from './types.js';

/** A Database or one of its transactions: the query builder a domain's statements take first. */
export type Tx = Pick<Database, 'select' | 'selectDistinct' | 'insert' | 'update' | 'delete' | 'execute'>;

/** The transaction handed to `db.transaction(async (tx) => …)` (also `tx.transaction` for a savepoint). */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** The rows of a raw `execute()` result: both drivers answer `{ rows }`; drizzle's shared type leaves it unknown. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** Runs a raw SQL query and returns its rows typed as `T` (cast types in SQL: `::int`, `::text`, stack.md §4.7). */
export async function queryRows<T>(tx: Pick<Database, 'execute'>, query: SQL): Promise<T[]> {
  return rowsOf<T>(await tx.execute(query));
}

/** A statement run often with the same text: named, so node-postgres prepares it once per connection. */
export interface PreparedStatement {
  name: string;
  /** Positional parameters `$1`, `$2`, … */
  text: string;
}

/**
 * Runs `statement` with `values`. On a node-postgres pool (not inside a transaction) the named statement skips
 * parse and plan on every call after the first on a connection; PGlite and transactions run the same text with
 * bound parameters through drizzle.
 */
export async function queryPrepared<T>(tx: Pick<Database, 'execute'>, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  const client = (tx as { $client?: unknown }).$client;
  if (client instanceof pg.Pool) return (await client.query<T & pg.QueryResultRow>({ name: statement.name, text: statement.text, values })).rows;
  const parts = statement.text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  parts.forEach((part, i) => chunks.push(i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1]}`));
  return queryRows<T>(tx, sql.join(chunks));
}

/**
 * Runs `fn` while holding the named lock across processes: on PostgreSQL a transaction-scoped advisory lock (so
 * it is released if the process dies; `fn` runs its own statements on other pool connections), on PGlite nothing
 * more is needed (the data-directory lock admits one process). Callers add an in-process mutex when `fn` may run
 * concurrently in one process. Not re-entrant.
 */
export async function withAdvisoryLock<T>(handle: Pick<Db, 'db' | 'kind'>, key: string, fn: () => Promise<T>): Promise<T> {
  if (handle.kind !== 'postgres') return fn();
  return handle.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
    return fn();
  });
}
