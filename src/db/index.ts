// The database handle (PGlite or PostgreSQL behind one Drizzle type), the schema and migrations.
// Domains keep their own queries (`<domain>/sql.ts`); this module only opens, migrates and closes.
export { migrateDb, openDb, wrapPglite, wrapPostgres, MIGRATIONS_FOLDER } from './open.js';
export type { Database, Db, OpenDbOptions, Schema, SqlResult } from './open.js';
export { acquireDirLock, DataDirLockedError } from './lock.js';
export type { DirLock } from './lock.js';
export * as schema from './schema/index.js';
export * from './schema/index.js';
