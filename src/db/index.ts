// The database handle (PGlite or PostgreSQL behind one Drizzle type), the schema, migrations, and the one
// transaction type with its typed raw-query helpers. Domains keep their own queries (`<domain>/sql.ts`).
export { migrateDb, openDb, wrapPglite, wrapPostgres, MIGRATIONS_FOLDER } from './open.js';
export type { Database, Db, Schema } from './open.js';
export type { PgliteClient } from './pglite-thread.js';
export { queryPrepared, queryRows, rowsOf, withAdvisoryLock } from './query.js';
export type { PreparedStatement, Transaction, Tx } from './query.js';
export { acquireDirLock, DataDirLockedError } from './lock.js';
export * as schema from './schema/index.js';
export * from './schema/index.js';
