// A scratch PostgreSQL database for one bench run: created on the server of `BENCH_DATABASE_URL` (default the local
// cluster), dropped afterwards unless `keep` names a database to reuse.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  name: string;
  /** Connection string of the scratch database. */
  url: string;
  /** Drops it (a kept database stays). */
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createScratchDatabase(prefix: string, opts: { keep?: string; serverUrl?: string } = {}): Promise<ScratchDatabase> {
  const serverUrl = opts.serverUrl ?? BENCH_PG_URL;
  const name = opts.keep ?? `${prefix}_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, async (c) => {
    const exists = (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount;
    if (!exists) await c.query(`create database ${name}`);
  });
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      if (opts.keep) return;
      await admin(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}
