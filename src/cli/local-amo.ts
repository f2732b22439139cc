// The amoCRM connection of a CLI command that opened the database itself. In the sandbox the emulator normally runs
// inside the server: when nothing answers on LEADBRIDGE_EMULATOR_PORT (the server is stopped), the command runs the
// emulator itself for its duration, from the server's state file in the data directory (the same account, tokens,
// pipelines and webhooks; what the command changes is saved back for the server's next start).
import { createConnection } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createAmoConnection, resolveSecretKey, startSandboxEmulator, type AmoConnection } from '../connect/index.js';
import type { Db } from '../db/index.js';

function answers(port: number, host: string): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(5_000, () => done(false));
  });
}

export async function openLocalAmo(config: Config, db: Db, logger?: Logger): Promise<{ conn: AmoConnection; close(): Promise<void> }> {
  const key = await resolveSecretKey(db.db, config);
  const own = config.sandbox && !config.amocrm.apiBaseUrl && !(await answers(config.emulatorPort, '127.0.0.1'));
  const sandbox = own ? await startSandboxEmulator({ ...config, emulatorHost: '127.0.0.1' }, { port: 0 }) : undefined;
  try {
    const conn = await createAmoConnection({
      config,
      db,
      key,
      ...(logger ? { logger } : {}),
      ...(sandbox ? { apiBaseUrl: sandbox.emulator.url, oauth: sandbox.oauth } : {}),
    });
    return { conn, close: async () => sandbox?.close() };
  } catch (e) {
    await sandbox?.close();
    throw e;
  }
}
