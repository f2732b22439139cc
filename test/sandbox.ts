// The whole server (startServer) in the sandbox for tests: the amoCRM emulator, the SMTP catcher and the WhatsApp
// emulator on free ports, a fresh data dir, on PGlite (a migrated dump) or on TEST_DATABASE_URL's PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { startServer, type Server } from '../src/main.js';
import { createTestDb, pgliteDump, type TestDb } from './db.js';
import { freePort } from './net.js';

export const SANDBOX_ADMIN = 'test-admin-token-0123456789';

export interface Sandbox {
  server: Server;
  base: string;
  dir: string;
  close(): Promise<void>;
}


export async function startSandbox(configFile: string, env: Record<string, string> = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-sandbox-'));
  let tdb: TestDb | undefined;
  const dbEnv: Record<string, string> = {};
  if (process.env.TEST_DATABASE_URL) {
    tdb = await createTestDb();
    dbEnv.DATABASE_URL = tdb.url as string;
  } else {
    const seed = await PGlite.create(join(dir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
  }
  // A fixed port: the sandbox registers its webhooks at LEADBRIDGE_PUBLIC_URL.
  const port = await freePort();
  const server = await startServer({
    env: {
      ...dbEnv,
      LEADBRIDGE_DATA_DIR: dir,
      LEADBRIDGE_CONFIG: configFile,
      LOG_LEVEL: 'silent',
      LEADBRIDGE_EMULATOR_PORT: '0',
      LEADBRIDGE_SMTP_CATCHER_PORT: '0',
      LEADBRIDGE_WHATSAPP_EMULATOR_PORT: '0',
      LEADBRIDGE_ADMIN_TOKEN: SANDBOX_ADMIN,
      PORT: String(port),
      LEADBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
    port,
    host: '127.0.0.1',
  });
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    dir,
    async close() {
      await server.close();
      await tdb?.cleanup();
    },
  };
}

/** Polls `f` until it returns something truthy. */
export async function until<T>(f: () => Promise<T | undefined | null | false>, what: string, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
