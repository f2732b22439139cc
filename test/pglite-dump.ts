import { PGlite } from '@electric-sql/pglite';
import { migrateDb, wrapPglite } from '../src/db/index.js';

/** A freshly migrated in-memory PGlite, dumped (gzip tarball) so tests can start from it in ~0.5 s. */
export async function migratedPgliteDump(): Promise<Buffer> {
  const client = await PGlite.create();
  try {
    await migrateDb(await wrapPglite(client));
    const blob = await client.dumpDataDir('gzip');
    return Buffer.from(await blob.arrayBuffer());
  } finally {
    await client.close();
  }
}
