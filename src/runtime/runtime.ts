// openRuntime(config, opts): the one way the system is put together, for the server (main.ts) and every CLI
// command. It opens the database (migrated unless told otherwise) and builds each domain on first use, memoised,
// with the options derived from config here and only here: `leadbridge reconcile` gets the server's webhook sync,
// `leadbridge worker` the server's delivery and routing. What differs by role is explicit (`role`) and described
// apart (`describe().process`): the amoCRM connection (the server owns the sandbox emulator and keep-alive), the
// webhook journal (only the receiving server), the follow-up channels and whether follow-ups consume events.
//
// Every resource a builder starts pushes a named closer; close() runs them newest first, each timed, so shutdown is
// the reverse of the build order (main.ts: http → … → queue → database). A database passed in (`db`) is borrowed
// and never closed.
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { getWebhookSecret, getWebhookUrl } from '../connect/index.js';
import { createDashboard, amoCatalogSource, type Dashboard } from '../dashboard/index.js';
import { openDb, type Db } from '../db/index.js';
import { createDelivery, type Delivery, type DeliveryOptions } from '../delivery/index.js';
import { createEmail, createSmtpChannel, type EmailModule } from '../email/index.js';
import { createFollowups, templatesUsed, type Followups, type FollowupsDeps } from '../followups/index.js';
import { createLogger } from '../logger.js';
import { createMetricsRegistry } from '../metrics.js';
import { createPrivacy, type Privacy } from '../privacy/index.js';
import { loadResolvedMap } from '../provision/index.js';
import { createQueue, QUEUE_TASKS, type Queue } from '../queue/index.js';
import { createRouting, type Routing } from '../routing/index.js';
import { cachedFieldMap, createWebhookSync, type WebhookSync } from '../webhooks/index.js';
import { createWhatsApp, type WhatsAppModule } from '../whatsapp/index.js';
import { localConnection, serverConnection, workerConnection, type ConnectionOverrides, type RuntimeConnection } from './connection.js';

/**
 * What the process is: `server` (main.ts: HTTP, every worker, the sandbox), `worker` (`leadbridge worker`: delivery
 * only), `followups-worker` (`leadbridge followups worker`: steps over SMTP_URL), `cli` (one command, then exit).
 */
export type RuntimeRole = 'server' | 'worker' | 'followups-worker' | 'cli';

export interface RuntimeOptions {
  role: RuntimeRole;
  /** LEADBRIDGE_WEBHOOK_JOURNAL, LEADBRIDGE_PGLITE_THREAD, LEADBRIDGE_ADMIN_EMAIL / _PASSWORD, SMTP_IGNORE_TLS (main.ts and cli/ read the environment). */
  env: NodeJS.ProcessEnv;
  /** Default: createLogger(config.logLevel). */
  logger?: Logger;
  /** An open database to use and leave open (tests, CommandIo.db). */
  db?: Db;
  /** Apply migrations when opening (default true). */
  migrate?: boolean;
  /** The amoCRM account every domain works for (default 'default': one per install today). */
  account?: string;
  /** `leadbridge worker` flags. */
  connection?: ConnectionOverrides;
  delivery?: DeliveryOptions;
  /** `leadbridge followups worker` flags. */
  followups?: FollowupsDeps['options'];
  /** Called with the runtime once it is open (tests observe what a command builds). */
  onOpen?: (rt: Runtime) => void;
}

/** A JSON description of what a runtime built: each builder's options minus functions and secrets. */
export interface RuntimeDescription {
  role: RuntimeRole;
  account: string;
  db: Db['kind'];
  /** Per domain, the options it was built with: the same in every role (the test compares them). */
  domains: Record<string, Record<string, unknown>>;
  /** What is bound to the process's role (connection, channels, journal, flags). */
  process: Record<string, Record<string, unknown>>;
}

export interface Runtime {
  readonly config: Config;
  readonly role: RuntimeRole;
  readonly account: string;
  readonly logger: Logger;
  readonly db: Db;
  readonly metrics: Registry;
  /** pg-boss, started (server). */
  queue(): Promise<Queue>;
  /** The work waiting: leads not yet in amoCRM (pending, held, being delivered) plus queued background tasks. */
  queueView(): Promise<{ depth: number; leads_pending: number; tasks: number }>;
  connection(): Promise<RuntimeConnection>;
  routing(): Promise<Routing>;
  delivery(): Promise<Delivery>;
  webhooks(): Promise<WebhookSync>;
  email(): Promise<EmailModule>;
  whatsapp(): Promise<WhatsAppModule>;
  followups(): Promise<Followups>;
  dashboard(): Promise<Dashboard>;
  privacy(): Promise<Privacy>;
  /** Registers a shutdown step (run before everything registered earlier). */
  onClose(step: string, close: () => Promise<void>): void;
  /** The shutdown steps close() would run, in order. */
  shutdownSteps(): string[];
  describe(): RuntimeDescription;
  /** Runs the shutdown steps newest first, each timed; idempotent. */
  close(): Promise<void>;
  /** The shutdown step close() is waiting on (logged when the force-exit timer fires). */
  closingStep(): string | undefined;
}

type Closer = [step: string, close: () => Promise<void>];

/** Memoises an async builder: built once, on first use. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= build());
}

export async function openRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const { role, env } = opts;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const log = logger.child({ module: 'runtime' });
  const account = opts.account ?? 'default';
  const db =
    opts.db ??
    (await openDb({
      ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }),
      migrate: opts.migrate ?? true,
      pgliteThread: env.LEADBRIDGE_PGLITE_THREAD !== 'off',
      logger,
    }));
  const closers: Closer[] = opts.db ? [] : [['database', () => db.close()]];
  const onClose = (step: string, close: () => Promise<void>) => void closers.unshift([step, close]);
  const metrics = createMetricsRegistry();
  if (role === 'server') collectDefaultMetrics({ register: metrics, prefix: 'leadbridge_' });
  const domains: RuntimeDescription['domains'] = {};
  const proc: RuntimeDescription['process'] = {};
  const resolved = async () => (await loadResolvedMap(db.db)) ?? undefined;

  const queue = once(async () => {
    const q = createQueue({ db, logger, tasks: QUEUE_TASKS });
    await q.start();
    onClose('queue', () => q.stop());
    proc.queue = { tasks: [...QUEUE_TASKS] };
    return q;
  });
  const taskDepth = async () => {
    const q = await queue();
    return (await Promise.all(QUEUE_TASKS.map((t) => q.depth(t)))).reduce((a, b) => a + b, 0);
  };
  const queueView = async () => {
    const [leads, tasks] = await Promise.all([(await delivery()).waiting(), taskDepth()]);
    return { depth: leads.total + tasks, leads_pending: leads.total, tasks };
  };

  // Connect: the token key, THE amoCRM client; the server's also the sandbox emulator, OAuth routes, the `amocrm`
  // health check, the keep-alive job and (after listen) the sandbox's OAuth connect + setup.
  const connection = once(async () => {
    let c: RuntimeConnection;
    if (role === 'server') {
      c = await serverConnection({ config, db, logger, metrics, queue: await queue(), queueDepth: async () => (await queueView()).depth });
    } else if (role === 'worker') {
      c = await workerConnection({ config, db, overrides: opts.connection ?? {} });
    } else {
      c = await localConnection({ config, db, logger });
    }
    onClose('connection', () => c.close());
    proc.connection = c.description;
    return c;
  });

  // Routing: the manager per lead (rules, rotation shared through the database), recorded with its reasons.
  const routing = once(async () => {
    const { amo } = await connection();
    const r = createRouting({ db: db.db, amo, config: config.routing, account, logger, metrics });
    domains.routing = { account, config: config.routing };
    return r;
  });

  // Delivery: the outbox worker over THE amoCRM client; stopped before the connection, the queue and the database.
  const delivery = once(async () => {
    const { amo } = await connection();
    const r = await routing();
    const options: DeliveryOptions = { contactLookup: config.delivery.contactLookup, exclusiveDb: db.kind === 'pglite' };
    const d = createDelivery({
      db: db.db,
      amo,
      config,
      account,
      resolved,
      logger,
      metrics,
      options: { ...options, ...opts.delivery },
      phoneCountry: config.defaultCountry,
      route: (leads, ctx) => r.route(leads, ctx),
    });
    onClose('delivery', () => d.stop());
    domains.delivery = { account, options, phoneCountry: config.defaultCountry, resolved: 'provision map', routing: true };
    if (opts.delivery && Object.keys(opts.delivery).length) proc.delivery = { flags: { ...opts.delivery } };
    return d;
  });

  // Webhooks: stored raw and acked at once, applied by the processor, repaired by reconciliation (the schedule and
  // `leadbridge reconcile` both call reconcile(), which applies what is stored first).
  const webhooks = once(async () => {
    const { amo, conn } = await connection();
    if (!conn) throw new Error('webhook sync needs the amoCRM connection (not a worker pointed at --amo-base-url)');
    const webhookUrl = await getWebhookUrl(db.db, config);
    const options = { embedded: db.kind === 'pglite', rawRetentionDays: config.retention.rawWebhookDays };
    // Acks from a local journal, not the database (docs/webhooks.md): only the receiving server (one journal per
    // process and data directory); always with PGlite, on PostgreSQL with LEADBRIDGE_WEBHOOK_JOURNAL=on.
    const journal = role === 'server' && (db.kind === 'pglite' || env.LEADBRIDGE_WEBHOOK_JOURNAL === 'on') ? { journalDir: config.dataDir } : {};
    const w = createWebhookSync({
      db: db.db,
      account,
      source: { webhookSecret: await getWebhookSecret(db.db, config), account: () => conn.account(), amo },
      webhookUrl,
      fieldMap: cachedFieldMap(() => loadResolvedMap(db.db)),
      logger: logger.child({ module: 'webhooks' }),
      ...options,
      ...journal,
    });
    const j = w.journal;
    if (j) onClose('webhook journal', () => j.close());
    onClose('webhook processor', () => w.processor.stop());
    domains.webhooks = { account, ...options, webhookUrl: 'public url + stored secret', fieldMap: 'provision map (cached)' };
    if (j) proc.webhookJournal = { dir: 'data dir' };
    return w;
  });

  // Email: SMTP_URL, else the built-in SMTP catcher (the server's sandbox).
  const email = once(async () => {
    const e = createEmail({
      env: config.followups.channels,
      ratePerSecond: config.followups.settings.email.rate_per_second,
      maxConnections: config.followups.settings.email.max_connections,
      logger: logger.child({ module: 'email' }),
    });
    await e.start();
    onClose('email', () => e.stop());
    proc.email = { smtp: config.followups.channels.smtpUrl ? 'SMTP_URL' : 'catcher' };
    return e;
  });

  // WhatsApp: created with follow-ups (each needs the other), started once follow-ups exist.
  let whatsappBuilt: WhatsAppModule | undefined;
  const followups = once(async () => {
    let channels: FollowupsDeps['channels'] = {};
    let amo: FollowupsDeps['amo'];
    if (role === 'server') {
      const e = await email();
      amo = (await connection()).amo;
      whatsappBuilt = createWhatsApp({
        db: db.db,
        account,
        env: config.followups.channels.whatsapp,
        graphVersion: config.followups.settings.whatsapp.graph_version,
        ratePerSecond: config.followups.settings.whatsapp.rate_per_second,
        emulatorPort: config.followups.channels.whatsappEmulatorPort,
        templates: () => templatesUsed(f.sequences),
        onStored: () => f.wake(),
        logger: logger.child({ module: 'whatsapp' }),
      });
      channels = { email: e.channel, whatsapp: whatsappBuilt.channel };
    } else if (role === 'followups-worker') {
      const ch = config.followups.channels;
      if (!ch.smtpUrl) throw new Error('leadbridge followups worker needs SMTP_URL (the sandbox SMTP catcher lives in the server process)');
      const smtp = createSmtpChannel({ url: ch.smtpUrl, from: ch.mailFrom, dkim: ch.dkim, ratePerSecond: config.followups.settings.email.rate_per_second, ignoreTLS: env.SMTP_IGNORE_TLS === '1' });
      onClose('email', async () => smtp.close());
      channels = { email: smtp };
      proc.email = { smtp: 'SMTP_URL' };
    }
    // A one-shot command (list, stop, preview) reads and writes enrolments; only workers consume events.
    const consume = role !== 'cli';
    const f: Followups = createFollowups({
      db: db.db,
      config,
      account,
      channels,
      ...(amo ? { amo } : {}),
      pipelines: async (tx) => (await loadResolvedMap(tx))?.pipelines,
      consume,
      ...(role === 'cli' ? {} : { logger: logger.child({ module: 'followups' }) }),
      ...(opts.followups ? { options: opts.followups } : {}),
    });
    if (role !== 'cli') onClose('follow-ups', () => f.stop());
    domains.followups = { account, sequences: f.sequences.map((s) => s.key), pipelines: 'provision map' };
    proc.followups = { consume, channels: Object.keys(channels), ...(opts.followups ? { flags: { ...opts.followups } } : {}) };
    if (whatsappBuilt) {
      const w = whatsappBuilt;
      await w.start();
      onClose('whatsapp', () => w.stop());
      proc.whatsapp = { sandbox: !config.followups.channels.whatsapp.token };
    }
    return f;
  });
  const whatsapp = once(async () => {
    if (role !== 'server') throw new Error('the WhatsApp channel runs in the server');
    await followups();
    return whatsappBuilt as WhatsAppModule;
  });

  // Dashboard: users/sessions, the analytics API and the built front end at /dashboard; its deal rollup follows the
  // webhooks' domain events (started here, stopped before the database).
  const dashboard = once(async () => {
    const { connect, amo } = await connection();
    // One at a time: the order things are built is the order their shutdown steps run (reversed).
    const d = await delivery();
    const r = await routing();
    const f = await followups();
    const dash = createDashboard({
      db: db.db,
      account,
      publicUrl: config.publicUrl,
      sandbox: config.sandbox,
      adminEmail: env.LEADBRIDGE_ADMIN_EMAIL,
      adminPassword: env.LEADBRIDGE_ADMIN_PASSWORD,
      catalogSource: amoCatalogSource(amo),
      health: async () => ({
        amocrm: connect ? await connect.healthCheck() : { ok: false },
        queue: { depth: (await queueView()).depth },
        delivery: await d.health(),
      }),
      onReplayed: () => d.wake(),
      commissionKey: config.analytics.commissionField,
      routingView: (leadId) => r.view(leadId),
      logger: logger.child({ module: 'analytics' }),
      followups: (range) => f.sendStats(range),
      followupsView: (leadId) => f.leadFollowups(leadId),
    });
    domains.dashboard = { account, publicUrl: config.publicUrl, sandbox: config.sandbox, commissionKey: config.analytics.commissionField };
    return dash;
  });

  // Privacy: backup and forget (admin API and CLI), the retention sweep of raw webhook bodies and spam leads.
  const privacy = once(async () => {
    const p = createPrivacy({ db, account, defaultCountry: config.defaultCountry, retention: config.retention, logger: logger.child({ module: 'privacy' }) });
    if (role === 'server') onClose('retention sweep', () => p.retention.stop());
    domains.privacy = { account, defaultCountry: config.defaultCountry, retention: config.retention };
    return p;
  });

  let shutdownStep: string | undefined;
  let closing: Promise<void> | undefined;
  const rt: Runtime = {
    config,
    role,
    account,
    logger,
    db,
    metrics,
    queue,
    queueView,
    connection,
    routing,
    delivery,
    webhooks,
    email,
    whatsapp,
    followups,
    dashboard,
    privacy,
    onClose,
    shutdownSteps: () => closers.map(([step]) => step),
    describe: () => structuredClone({ role, account, db: db.kind, domains, process: proc }),
    close: () =>
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
      })()),
    closingStep: () => shutdownStep,
  };
  opts.onOpen?.(rt);
  return rt;
}
