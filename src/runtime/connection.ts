// The amoCRM connection of a runtime, by role. The server owns it all (startConnect: the sandbox emulator on its
// port, keep-alive, OAuth routes, the delivery hold). A CLI command uses the server's emulator when it answers, and
// otherwise runs the emulator itself for its duration from the server's state file in the data directory (the same
// account, tokens, pipelines and webhooks; what the command changes is saved back for the server's next start). A
// delivery worker shares the 7 req/s budget through PgRateLimitStore; with `amoBaseUrl` (tests, benches) it talks to
// that amoCRM with the token from the environment.
import { createConnection } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AmoClient, longLivedTokenSet, MemoryTokenStore } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import {
  createAmoConnection,
  PgRateLimitStore,
  resolveSecretKey,
  startConnect,
  startSandboxEmulator,
  type AmoConnection,
  type ConnectRuntime,
} from '../connect/index.js';
import type { Db } from '../db/index.js';
import type { Queue } from '../queue/index.js';

/** Connection flags of `leadbridge worker`. */
export interface ConnectionOverrides {
  /** amoCRM requests per second shared by every process (default delivery.rate_per_second). */
  perSecond?: number;
  /** Space request slots this much wider than 1/rate (PgRateLimitStore; default delivery.rate_margin). */
  rateMargin?: number;
  /** Send amoCRM calls here with the token from AMOCRM_LONG_LIVED_TOKEN / AMOCRM_ACCESS_TOKEN. */
  amoBaseUrl?: string;
}

export interface RuntimeConnection {
  amo: AmoClient;
  /** THE connection (token store, state); absent only for a worker pointed at `amoBaseUrl`. */
  conn: AmoConnection | undefined;
  /** The server's: routes, health, doctor, keep-alive, the sandbox (role `server` only). */
  connect: ConnectRuntime | undefined;
  /** What was built, for the runtime's description (no secrets). */
  description: Record<string, unknown>;
  close(): Promise<void>;
}

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

export async function serverConnection(deps: {
  config: Config;
  db: Db;
  logger: Logger;
  metrics: Registry;
  queue: Queue;
  queueDepth: () => Promise<number>;
}): Promise<RuntimeConnection> {
  const connect = await startConnect({ ...deps, rateLimitStore: new PgRateLimitStore(deps.db.db, { safetyMargin: deps.config.delivery.rateMargin }) });
  return {
    amo: connect.conn.amo,
    conn: connect.conn,
    connect,
    description: { via: 'server', sandboxEmulator: connect.sandbox !== undefined, sharedRateLimit: true, rateMargin: deps.config.delivery.rateMargin },
    close: () => connect.close(),
  };
}

export async function localConnection(deps: { config: Config; db: Db; logger: Logger }): Promise<RuntimeConnection> {
  const { config, db } = deps;
  const key = await resolveSecretKey(db.db, config);
  const own = config.sandbox && !config.amocrm.apiBaseUrl && !(await answers(config.emulatorPort, '127.0.0.1'));
  const sandbox = own ? await startSandboxEmulator({ ...config, emulatorHost: '127.0.0.1' }, { port: 0 }) : undefined;
  try {
    const conn = await createAmoConnection({
      config,
      db,
      key,
      logger: deps.logger,
      ...(sandbox ? { apiBaseUrl: sandbox.emulator.url, oauth: sandbox.oauth } : {}),
    });
    return {
      amo: conn.amo,
      conn,
      connect: undefined,
      description: { via: 'local', sandboxEmulator: sandbox !== undefined, sharedRateLimit: false },
      close: async () => sandbox?.close(),
    };
  } catch (e) {
    await sandbox?.close();
    throw e;
  }
}

export async function workerConnection(deps: { config: Config; db: Db; overrides: ConnectionOverrides }): Promise<RuntimeConnection> {
  const { config, db, overrides: o } = deps;
  const perSecond = o.perSecond ?? config.delivery.ratePerSecond;
  if (o.rateMargin !== undefined && !(o.rateMargin >= 0 && o.rateMargin < 1)) throw new Error('--rate-margin must be between 0 and 1');
  const rateMargin = o.rateMargin ?? config.delivery.rateMargin;
  const rateLimitStore = new PgRateLimitStore(db.db, { safetyMargin: rateMargin });
  const description = { via: o.amoBaseUrl ? 'base url' : 'worker', sandboxEmulator: false, sharedRateLimit: true, perSecond, rateMargin };
  if (o.amoBaseUrl) {
    const token = config.amocrm.longLivedToken ?? config.amocrm.accessToken;
    if (!token || !config.amocrm.host) throw new Error('--amo-base-url needs AMOCRM_DOMAIN and AMOCRM_LONG_LIVED_TOKEN (or AMOCRM_ACCESS_TOKEN)');
    const amo = new AmoClient({
      domain: config.amocrm.host,
      baseUrl: o.amoBaseUrl,
      tokens: new MemoryTokenStore(longLivedTokenSet(token)),
      rateLimit: { store: rateLimitStore, perSecond },
    });
    return { amo, conn: undefined, connect: undefined, description, close: async () => undefined };
  }
  const key = await resolveSecretKey(db.db, config);
  const conn = await createAmoConnection({ config, db, key, rateLimitStore, client: { perSecond } });
  return { amo: conn.amo, conn, connect: undefined, description, close: async () => undefined };
}
