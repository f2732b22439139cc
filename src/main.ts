// The server: config → openRuntime (database, queue, connection, domains; src/runtime) → buildApp(modules) → listen
// → start the modules → on SIGINT/SIGTERM close (the runtime's named, timed shutdown steps, the HTTP drain first).
// `npm start` runs this file; `leadbridge start` calls runMain().
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { ConnectError, type ConnectRuntime } from './connect/index.js';
import { DataDirLockedError, type Db } from './db/index.js';
import type { EmailModule } from './email/index.js';
import { applyEnvFiles } from './env-files.js';
import type { Followups } from './followups/index.js';
import { buildApp } from './http/index.js';
import { createLogger } from './logger.js';
import { checkDataDir, checkPortFree, portInUseError, StartupError } from './ops/index.js';
import type { Queue } from './queue/index.js';
import { openRuntime, serverModules } from './runtime/index.js';
import type { WhatsAppModule } from './whatsapp/index.js';

export interface Server {
  config: Config;
  app: FastifyInstance;
  db: Db;
  queue: Queue;
  logger: Logger;
  /** The amoCRM connection (THE AmoClient is `connect.conn.amo`), sandbox emulator, keep-alive. */
  connect: ConnectRuntime;
  /** Follow-up sequences (tests drive `tick()` / `pollEvents()`), and the email channel's sandbox catcher. */
  followups: Followups;
  email: EmailModule;
  /** The WhatsApp channel (its sandbox emulator when no WHATSAPP_TOKEN is set). */
  whatsapp: WhatsAppModule;
  /** Stops accepting requests, stops workers, closes the database (and releases the PGlite lock). Idempotent. */
  close(): Promise<void>;
  /** The shutdown step `close()` is waiting on (logged when the force-exit timer fires). */
  closingStep(): string | undefined;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  logger?: Logger;
  /** Listen on this port instead of config.port (tests: 0). */
  port?: number;
  host?: string;
  /** Read `.env` / `.env.local` from this directory into (a copy of) `env` first; `npm start` uses the cwd. */
  envDir?: string;
  /** The env files already applied by the caller (runMain), for the start-up log. */
  envFiles?: string[];
}

export async function startServer(opts: StartOptions = {}): Promise<Server> {
  let env = opts.env ?? process.env;
  let envFiles = opts.envFiles ?? [];
  if (opts.envDir !== undefined) {
    env = { ...env };
    envFiles = applyEnvFiles(env, opts.envDir).files;
  }
  const config = loadConfig(env, opts.configPath ? { configPath: opts.configPath } : {});
  config.envFiles = envFiles;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const log = logger.child({ module: 'main' });
  log.info({ envFiles, configPath: config.configPath }, envFiles.length ? 'environment files read' : 'no .env or .env.local file: using the environment only');
  for (const w of config.warnings) log.warn(w);
  // Before the slow part (migrations, the sandbox's OAuth + setup): a busy port or a read-only data dir fails now.
  const port = opts.port ?? config.port;
  const host = opts.host ?? config.host;
  await checkPortFree(port, host, 'PORT');
  if (config.sandbox) await checkPortFree(config.emulatorPort, config.emulatorHost ?? '127.0.0.1', 'LEADBRIDGE_EMULATOR_PORT');
  if (!config.databaseUrl) checkDataDir(config.dataDir);
  if (!config.configFileFound) log.warn({ configPath: config.configPath }, 'config file not found; using built-in defaults');
  if (!config.adminToken && !config.sandbox) log.warn('LEADBRIDGE_ADMIN_TOKEN is not set; admin endpoints refuse every request');

  const rt = await openRuntime(config, { role: 'server', env, logger });
  try {
    const { modules, adminToken, firstAdmin } = await serverModules(rt);
    const app = await buildApp({ config, db: rt.db, logger, metrics: rt.metrics, modules, ...(adminToken ? { adminToken } : {}) });
    rt.onClose('http', () => closeHttp(app, log));
    try {
      await app.listen({ port, host });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUseError(port, host, 'PORT');
      throw e;
    }
    log.info({ port, host, db: rt.db.kind, sandbox: config.sandbox }, 'leadbridge started');
    const addr = app.server.address();
    const appUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : config.port}`;
    if (firstAdmin?.generatedPassword) {
      process.stdout.write(
        `\nSANDBOX dashboard: ${appUrl}/dashboard/  sign in as ${firstAdmin.email} / ${firstAdmin.generatedPassword}\n` +
          `(set LEADBRIDGE_ADMIN_EMAIL + LEADBRIDGE_ADMIN_PASSWORD, or \`leadbridge users reset-password\` later)\n\n`,
      );
    }
    for (const m of modules) await m.start?.(appUrl);

    const connect = (await rt.connection()).connect as ConnectRuntime;
    let stopped: Promise<void> | undefined;
    return {
      config,
      app,
      db: rt.db,
      queue: await rt.queue(),
      logger,
      connect,
      followups: await rt.followups(),
      email: await rt.email(),
      whatsapp: await rt.whatsapp(),
      // rt.close() is idempotent; the log line is written once too.
      close: () => (stopped ??= rt.close().then(() => log.info('leadbridge stopped'))),
      closingStep: () => rt.closingStep(),
    };
  } catch (err) {
    await rt.close();
    throw err;
  }
}

/** In-flight requests get this long to finish after SIGTERM; then their connections are closed. */
const HTTP_DRAIN_MS = 5_000;

/**
 * Stops accepting connections and waits for in-flight requests, but not for ever: a keep-alive connection that was
 * busy when `close()` began (e.g. the emulator's webhook sender) is not closed by Fastify's idle sweep and would hold
 * the shutdown until the 15 s force-exit. After HTTP_DRAIN_MS every remaining connection is closed.
 */
async function closeHttp(app: Awaited<ReturnType<typeof buildApp>>, log: Logger): Promise<void> {
  const drain = setTimeout(() => {
    log.warn({ afterMs: HTTP_DRAIN_MS }, 'closing the HTTP connections still open at shutdown');
    app.server.closeAllConnections();
  }, HTTP_DRAIN_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(drain);
  }
}

/** Starts the service in this process and stops it on SIGINT/SIGTERM (`npm start`, `leadbridge start`). */
export async function runMain(): Promise<void> {
  let server: Server;
  try {
    // `.env` then `.env.local` from the working directory; variables already in the environment win.
    const { files } = applyEnvFiles(process.env);
    server = await startServer({ envFiles: files });
  } catch (err) {
    // ConnectError here: LEADBRIDGE_SECRET_KEY missing outside the sandbox (a clear one-line message, no stack).
    if (err instanceof ConfigError || err instanceof DataDirLockedError || err instanceof ConnectError || err instanceof StartupError) {
      process.stderr.write(`leadbridge: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.logger.error({ step: server.closingStep() }, 'shutdown did not finish within 15 s; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMain();
}
