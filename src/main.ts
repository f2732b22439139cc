// The composition root: config → database (migrated) → queue → HTTP app → listen; graceful shutdown.
// `npm start` runs this file; `startServer()` is also what a CLI `start` command should call.
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { DataDirLockedError, openDb, type Db } from './db/index.js';
import { buildApp, createLogger, createMetricsRegistry, type AppDeps, type HealthCheck } from './http/index.js';
import { createQueue, type Queue, type TaskName } from './queue/index.js';

export interface Server {
  config: Config;
  app: FastifyInstance;
  db: Db;
  queue: Queue;
  logger: Logger;
  /** Stops accepting requests, stops workers, closes the database (and releases the PGlite lock). Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  logger?: Logger;
  /** Listen on this port instead of config.port (tests: 0). */
  port?: number;
  host?: string;
}

const QUEUE_TASKS: TaskName[] = ['amo_keep_alive', 'reconcile_amo'];

export async function startServer(opts: StartOptions = {}): Promise<Server> {
  const config = loadConfig(opts.env ?? process.env, opts.configPath ? { configPath: opts.configPath } : {});
  const logger = opts.logger ?? createLogger(config.logLevel);
  const log = logger.child({ module: 'main' });
  if (!config.configFileFound) log.warn({ configPath: config.configPath }, 'config file not found; using built-in defaults');
  if (!config.adminToken) log.warn('LEADBRIDGE_ADMIN_TOKEN is not set; admin endpoints refuse every request');

  const db = await openDb({
    ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }),
    migrate: true,
    logger,
  });
  const closers: (() => Promise<void>)[] = [() => db.close()];
  try {
    const metrics = createMetricsRegistry();
    collectDefaultMetrics({ register: metrics, prefix: 'leadbridge_' });

    const queue = createQueue({ db, logger });
    await queue.start();
    closers.unshift(() => queue.stop());

    // ── WIRE-IN: sandbox emulator. When config.sandbox, start the amoCRM emulator (src/amocrm-emulator) on
    //    config.emulatorPort and point the amoCRM client's baseUrl at it; push its close() onto `closers`.
    // ── WIRE-IN: amoCRM client (src/amocrm): new AmoClient({ subdomain: config.amocrm.subdomain, tokens, logger }),
    //    tokens from the connect module's encrypted token store.
    // ── WIRE-IN: connect module (src/connect): OAuth routes via `extraRoutes`, keep-alive via
    //    queue.schedule('amo_keep_alive', …) + queue.work(…), and its status as the `amocrm` health check.
    // ── WIRE-IN: delivery worker (src/delivery): createDelivery({ db: db.db, amo, config, logger }).start();
    //    pass its wake() as `onLeadCaptured`, push its stop() onto `closers` (before the queue and db).
    const healthChecks: Record<string, HealthCheck> = {
      amocrm: async () => ({ ok: true, state: config.sandbox ? 'sandbox' : 'not_wired' }),
      queue: async () => {
        const sizes = await Promise.all(QUEUE_TASKS.map((t) => queue.depth(t)));
        return { ok: true, depth: sizes.reduce((a, b) => a + b, 0) };
      },
    };
    const deps: AppDeps = { config, db, logger, metrics, healthChecks, extraRoutes: [] };
    const app = await buildApp(deps);
    closers.unshift(() => app.close());
    await app.listen({ port: opts.port ?? config.port, host: opts.host ?? '0.0.0.0' });
    log.info({ port: opts.port ?? config.port, db: db.kind, sandbox: config.sandbox }, 'leadbridge started');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        for (const c of closers) {
          try {
            await c();
          } catch (err) {
            log.error({ err }, 'shutdown step failed');
          }
        }
        log.info('leadbridge stopped');
      })());
    return { config, app, db, queue, logger, close };
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    throw err;
  }
}

async function runMain(): Promise<void> {
  let server: Server;
  try {
    server = await startServer();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataDirLockedError) {
      process.stderr.write(`leadbridge: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMain();
}
