// The composition root: config → database (migrated) → queue → HTTP app → listen; graceful shutdown.
// `npm start` runs this file; `startServer()` is also what a CLI `start` command should call.
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { DataDirLockedError, openDb, type Db } from './db/index.js';
import { buildApp, type AppDeps, type HealthCheck } from './http/index.js';
import { createLogger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';
import { createQueue, QUEUE_TASKS, type Queue } from './queue/index.js';
import { PgRateLimitStore } from './connect/index.js';
import { ConnectError, startConnect, type ConnectRuntime } from './connect/index.js';
import { createDelivery, deliveryRoutes } from './delivery/index.js';
import { loadResolvedMap } from './provision/index.js';
import { getWebhookSecret, getWebhookUrl } from './connect/index.js';
import { createCapture } from './capture/index.js';
import { cachedFieldMap, createWebhookSync, dealView } from './webhooks/index.js';
import { applyEnvFiles } from './env-files.js';
import { checkDataDir, checkPortFree, collectReport, opsRoutes, portInUseError, setupReport, StartupError, writeAdminTokenFile } from './ops/index.js';
import { createRouting } from './routing/index.js';
import { createDashboard } from './dashboard/index.js';
import { amoCatalogSource } from './dashboard/amo-catalog.js';
import { createEmail, type EmailModule } from './email/index.js';
import { createFollowups, templatesUsed, type Followups } from './followups/index.js';
import { createWhatsApp, type WhatsAppModule } from './whatsapp/index.js';
import { createPrivacy } from './privacy/index.js';

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

/** A named shutdown step; run in order by `close()`, each timed. */
type Closer = [step: string, close: () => Promise<void>];

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

  const db = await openDb({
    ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }),
    migrate: true,
    logger,
  });
  const closers: Closer[] = [['database', () => db.close()]];
  let shutdownStep: string | undefined;
  try {
    const metrics = createMetricsRegistry();
    collectDefaultMetrics({ register: metrics, prefix: 'leadbridge_' });

    const queue = createQueue({ db, logger, tasks: QUEUE_TASKS });
    await queue.start();
    closers.unshift(['queue', () => queue.stop()]);
    const taskDepth = async () => (await Promise.all(QUEUE_TASKS.map((t) => queue.depth(t)))).reduce((a, b) => a + b, 0);
    // The work waiting: leads not yet in amoCRM (pending, held, being delivered) plus queued background tasks.
    // (`delivery` is created below; the function is only called once requests are served.)
    const queueView = async () => {
      const [leads, tasks] = await Promise.all([delivery.waiting(), taskDepth()]);
      return { depth: leads.total + tasks, leads_pending: leads.total, tasks };
    };
    const queueDepth = async () => (await queueView()).depth;

    // Connect: the token key, the sandbox emulator (no amoCRM credentials), THE amoCRM client, OAuth routes,
    // the `amocrm` health check, the keep-alive job; in the sandbox also the OAuth connect + setup after listen.
    const connect = await startConnect({
      config,
      db,
      logger,
      metrics,
      queue,
      rateLimitStore: new PgRateLimitStore(db.db),
      queueDepth,
    });
    closers.unshift(['connection', () => connect.close()]);
    if (connect.generatedAdminToken) {
      config.adminToken = connect.generatedAdminToken;
      process.stdout.write(`\nSANDBOX admin token (LEADBRIDGE_ADMIN_TOKEN is unset): ${connect.generatedAdminToken}\n\n`);
    }
    // The CLI on this machine reads the generated token from <data dir>/admin-token (0600) to reach the admin API
    // while this server holds the database; with a token in the environment no file is left behind.
    try {
      writeAdminTokenFile(config.dataDir, connect.generatedAdminToken);
    } catch (err) {
      log.warn({ err: { message: (err as Error).message }, dataDir: config.dataDir }, 'could not write the admin-token file; the CLI needs LEADBRIDGE_ADMIN_TOKEN');
    }
    // Routing: the manager per lead (rules, rotation shared through the database), recorded with its reasons;
    // the take-up deadline job reassigns deals left in their first stage.
    const routing = createRouting({
      db: db.db,
      amo: connect.conn.amo,
      config: config.routing,
      logger,
      metrics,
    });
    // Delivery: the outbox worker over THE amoCRM client; started after listen (and the sandbox's setup), held by
    // connect while the connection is unusable, woken by intake, stopped before the queue and the database.
    const delivery = createDelivery({
      db: db.db,
      amo: connect.conn.amo,
      config,
      resolved: async () => (await loadResolvedMap(db.db)) ?? undefined,
      logger,
      metrics,
      options: { contactLookup: config.delivery.contactLookup, exclusiveDb: db.kind === 'pglite' },
      phoneCountry: config.defaultCountry,
      route: (leads, ctx) => routing.route(leads, ctx),
    });
    closers.unshift(['delivery', () => delivery.stop()]);
    // Webhooks: amoCRM webhooks stored raw and acked at once, applied by the processor, repaired by reconciliation
    // (every 5 min; LEADBRIDGE_RECONCILE_CRON overrides, `off` disables; `leadbridge reconcile` runs it once).
    const webhooks = createWebhookSync({
      db: db.db,
      account: 'default',
      source: { webhookSecret: await getWebhookSecret(db.db, config), account: () => connect.conn.account(), amo: connect.conn.amo },
      webhookUrl: await getWebhookUrl(db.db, config),
      fieldMap: cachedFieldMap(() => loadResolvedMap(db.db)),
      logger: logger.child({ module: 'webhooks' }),
      embedded: db.kind === 'pglite',
      rawRetentionDays: config.retention.rawWebhookDays,
      // Acks from a local journal, not the database (docs/webhooks.md): always with PGlite (its data directory is
      // locked to this process); on PostgreSQL with LEADBRIDGE_WEBHOOK_JOURNAL=on and one data directory per instance.
      ...(db.kind === 'pglite' || (opts.env ?? process.env).LEADBRIDGE_WEBHOOK_JOURNAL === 'on' ? { journalDir: config.dataDir } : {}),
    });
    const journal = webhooks.journal;
    if (journal) closers.unshift(['webhook journal', () => journal.close()]);
    closers.unshift(['webhook processor', () => webhooks.processor.stop()]);
    // Capture: widget.js + public form definitions, the /l/* landing pages, Tilda/generic/Google Ads/Meta hooks.
    const capture = createCapture({ config, logger: logger.child({ module: 'capture' }) });
    // Follow-ups: sequences over email (SMTP_URL, else the built-in SMTP catcher) and WhatsApp, learning about
    // leads and deals from domain events; each channel falls back to its sandbox on its own.
    const email = createEmail({
      env: config.followups.channels,
      ratePerSecond: config.followups.settings.email.rate_per_second,
      maxConnections: config.followups.settings.email.max_connections,
      logger: logger.child({ module: 'email' }),
    });
    await email.start();
    closers.unshift(['email', () => email.stop()]);
    const whatsapp = createWhatsApp({
      db: db.db,
      account: 'default',
      env: config.followups.channels.whatsapp,
      graphVersion: config.followups.settings.whatsapp.graph_version,
      ratePerSecond: config.followups.settings.whatsapp.rate_per_second,
      emulatorPort: config.followups.channels.whatsappEmulatorPort,
      templates: () => templatesUsed(followups.sequences),
      onStored: () => followups.wake(),
      logger: logger.child({ module: 'whatsapp' }),
    });
    const followups = createFollowups({
      db: db.db,
      config,
      account: 'default',
      channels: { email: email.channel, whatsapp: whatsapp.channel },
      amo: connect.conn.amo,
      pipelines: async (tx) => (await loadResolvedMap(tx))?.pipelines,
      logger: logger.child({ module: 'followups' }),
    });
    closers.unshift(['follow-ups', () => followups.stop()]);
    await whatsapp.start();
    closers.unshift(['whatsapp', () => whatsapp.stop()]);
    const healthChecks: Record<string, HealthCheck> = {
      amocrm: () => connect.publicHealthCheck(),
      delivery: async () => ({ ...(await delivery.health()) }),
      queue: async () => ({ ok: true, ...(await queueView()) }),
      followups: async () => ({ ...(await followups.health()), email: await email.health(), whatsapp: await whatsapp.health() }),
    };
    // Dashboard: users/sessions, the analytics API and the built front end at /dashboard (`/` redirects there).
    const env = opts.env ?? process.env;
    const dashboard = createDashboard({
      db: db.db,
      account: 'default',
      publicUrl: config.publicUrl,
      sandbox: config.sandbox,
      adminEmail: env.LEADBRIDGE_ADMIN_EMAIL,
      adminPassword: env.LEADBRIDGE_ADMIN_PASSWORD,
      catalogSource: amoCatalogSource(connect.conn.amo),
      health: async () => ({ amocrm: await connect.healthCheck(), queue: { depth: await queueDepth() }, delivery: await delivery.health() }),
      onReplayed: () => delivery.wake(),
      commissionKey: config.analytics.commissionField,
      routingView: (leadId) => routing.view(leadId),
      logger: logger.child({ module: 'analytics' }),
      followups: (range) => followups.sendStats(range),
      followupsView: (leadId) => followups.leadFollowups(leadId),
    });
    const firstAdmin = await dashboard.start();
    // The deal rollup (funnel, managers) follows the webhooks' domain events; built once from the synced deals.
    await dashboard.rollup.start();
    closers.unshift(['dashboard rollups', () => dashboard.rollup.stop()]);
    // Privacy: backup and forget (admin API), the retention sweep of raw webhook bodies and spam leads.
    const privacy = createPrivacy({
      db,
      account: 'default',
      defaultCountry: config.defaultCountry,
      retention: config.retention,
      logger: logger.child({ module: 'privacy' }),
    });
    closers.unshift(['retention sweep', () => privacy.retention.stop()]);
    const deps: AppDeps = {
      config,
      db,
      logger,
      metrics,
      healthChecks,
      extraRoutes: [
        (ctx) => connect.routes(ctx.requireAdmin),
        (ctx) => deliveryRoutes({ db: db.db, requireAdmin: ctx.requireAdmin, onReplayed: () => delivery.wake() }),
        webhooks.routes,
        (ctx) =>
          opsRoutes({
            requireAdmin: ctx.requireAdmin,
            webhookUrl: () => getWebhookUrl(db.db, config),
            // `leadbridge setup` / `reconcile` while this server holds the embedded database (cli/server-api.ts).
            setup: ({ dryRun }) => collectReport((print) => setupReport({ config, db, conn: connect.conn, dryRun, print })),
            reconcile: (o) => webhooks.reconcile(o),
          }),
        (ctx) => capture.routes(ctx),
        () => dashboard.routes(),
        (ctx) => followups.routes(ctx),
        (ctx) => email.routes(ctx, () => whatsapp.sandboxMessages()),
        () => whatsapp.routes(),
        (ctx) => privacy.routes(ctx),
      ],
      onLeadCaptured: () => {
        delivery.wake();
        followups.wake();
      },
      dealView: (amoLeadId) => dealView(db.db, 'default', amoLeadId),
      routingView: (leadId) => routing.view(leadId),
      followupsView: (leadId) => followups.leadFollowups(leadId),
    };
    const app = await buildApp(deps);
    closers.unshift(['http', () => closeHttp(app, log)]);
    try {
      await app.listen({ port, host });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUseError(port, host, 'PORT');
      throw e;
    }
    log.info({ port, host, db: db.kind, sandbox: config.sandbox }, 'leadbridge started');
    const addr = app.server.address();
    if (firstAdmin?.generatedPassword) {
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      process.stdout.write(
        `\nSANDBOX dashboard: http://127.0.0.1:${port}/dashboard/  sign in as ${firstAdmin.email} / ${firstAdmin.generatedPassword}\n` +
          `(set LEADBRIDGE_ADMIN_EMAIL + LEADBRIDGE_ADMIN_PASSWORD, or \`leadbridge users reset-password\` later)\n\n`,
      );
    }
    whatsapp.listening(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : config.port}`);
    await connect.afterListen(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : config.port}`);
    if (config.sandbox) {
      // The full URL holds the webhook secret: printed for the operator, never logged.
      process.stdout.write(`SANDBOX webhook URL (amoCRM → Leadbridge; also \`npx leadbridge webhook-url\`): ${await getWebhookUrl(db.db, config)}\n\n`);
    }
    connect.bindDeliveryPause(delivery);
    delivery.start();
    webhooks.processor.start();
    followups.start();
    privacy.retention.start();
    await queue.work('reconcile_amo', async () => {
      try {
        await webhooks.reconcile();
      } catch (err) {
        log.warn({ err }, 'reconciliation failed; the next run retries');
      }
    });
    if (config.reconcileCron) await queue.schedule('reconcile_amo', config.reconcileCron, {});
    if (routing.takeUpEnabled) {
      await queue.work('routing_take_up', async () => {
        try {
          await routing.takeUpOnce();
        } catch (err) {
          log.warn({ err }, 'take-up check failed; the next run retries');
        }
      });
      await queue.schedule('routing_take_up', '* * * * *', {});
    }

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        for (const [step, c] of closers) {
          const started = Date.now();
          shutdownStep = step;
          try {
            await c();
          } catch (err) {
            log.error({ err, step }, 'shutdown step failed');
          }
          const ms = Date.now() - started;
          if (ms >= 1_000) log.warn({ step, ms }, 'shutdown step was slow');
        }
        shutdownStep = undefined;
        log.info('leadbridge stopped');
      })());
    return { config, app, db, queue, logger, connect, followups, email, whatsapp, close, closingStep: () => shutdownStep };
  } catch (err) {
    for (const [, c] of closers) await c().catch(() => undefined);
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
