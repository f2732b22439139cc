// serverModules(rt): what the server mounts and starts, as a list of modules built from the runtime (main.ts
// passes them to buildApp, listens, then starts them in this order). Routes register in this order; start() runs in
// this order after listen: the WhatsApp sandbox learns the URL, connect runs the sandbox's OAuth + setup, then the
// workers start (delivery once setup is done and behind the connection's hold).
import type { AppModule } from '../app-module.js';
import { createCapture } from '../capture/index.js';
import { getWebhookUrl } from '../connect/index.js';
import type { FirstAdminResult } from '../dashboard/index.js';
import { deliveryRoutes } from '../delivery/index.js';
import { createIntake } from '../intake/index.js';
import { collectReport, opsRoutes, setupReport, writeAdminTokenFile } from '../ops/index.js';
import { dealView } from '../webhooks/index.js';
import type { Runtime } from './runtime.js';

export interface ServerModules {
  modules: AppModule[];
  /** LEADBRIDGE_ADMIN_TOKEN, else the sandbox's generated one (for buildApp). */
  adminToken: string | undefined;
  /** The first dashboard admin, when this start created it (the sandbox prints its generated password). */
  firstAdmin: FirstAdminResult | undefined;
}

export async function serverModules(rt: Runtime): Promise<ServerModules> {
  const { config, db, logger } = rt;
  const log = logger.child({ module: 'main' });
  const { connect: c } = await rt.connection();
  if (!c) throw new Error('serverModules needs a runtime with role "server"');
  const connect = c;
  if (connect.generatedAdminToken) {
    process.stdout.write(`\nSANDBOX admin token (LEADBRIDGE_ADMIN_TOKEN is unset): ${connect.generatedAdminToken}\n\n`);
  }
  // The CLI on this machine reads the generated token from <data dir>/admin-token (0600) to reach the admin API
  // while this server holds the database; with a token in the environment no file is left behind.
  try {
    writeAdminTokenFile(config.dataDir, connect.generatedAdminToken);
  } catch (err) {
    log.warn({ err: { message: (err as Error).message }, dataDir: config.dataDir }, 'could not write the admin-token file; the CLI needs LEADBRIDGE_ADMIN_TOKEN');
  }
  const routing = await rt.routing();
  const delivery = await rt.delivery();
  const webhooks = await rt.webhooks();
  // Capture: widget.js + public form definitions, the /l/* landing pages, Tilda/generic/Google Ads/Meta hooks.
  const capture = createCapture({ config, logger: logger.child({ module: 'capture' }) });
  // Follow-ups: sequences over email (SMTP_URL, else the built-in SMTP catcher) and WhatsApp, learning about
  // leads and deals from domain events; each channel falls back to its sandbox on its own.
  const email = await rt.email();
  const followups = await rt.followups();
  const whatsapp = await rt.whatsapp();
  const dashboard = await rt.dashboard();
  const firstAdmin = await dashboard.start();
  await dashboard.rollup.start();
  rt.onClose('dashboard rollups', () => dashboard.rollup.stop());
  const privacy = await rt.privacy();
  const queue = await rt.queue();

  const intake = createIntake({
    config,
    db,
    metrics: rt.metrics,
    logger,
    onLeadCaptured: () => {
      delivery.wake();
      followups.wake();
    },
    dealView: (amoLeadId) => dealView(db.db, amoLeadId),
    routingView: (leadId) => routing.view(leadId),
    followupsView: (leadId) => followups.leadFollowups(leadId),
  });
  const modules: AppModule[] = [
    intake,
    { name: 'whatsapp', routes: () => whatsapp.routes(), start: async (appUrl) => whatsapp.listening(appUrl) },
    {
      name: 'connection',
      routes: (ctx) => connect.routes(ctx.requireAdmin),
      health: { amocrm: () => connect.publicHealthCheck() },
      start: async (appUrl) => {
        await connect.afterListen(appUrl);
        if (config.sandbox) {
          // The full URL holds the webhook secret: printed for the operator, never logged.
          process.stdout.write(`SANDBOX webhook URL (amoCRM → Leadbridge; also \`npx leadbridge webhook-url\`): ${await getWebhookUrl(db.db, config)}\n\n`);
        }
      },
    },
    {
      name: 'delivery',
      routes: (ctx) => deliveryRoutes({ db: db.db, requireAdmin: ctx.requireAdmin, onReplayed: () => delivery.wake() }),
      health: {
        delivery: async () => ({ ...(await delivery.health()) }),
        queue: async () => ({ ok: true, ...(await rt.queueView()) }),
      },
      start: async () => {
        // Held by connect while the connection is unusable.
        connect.bindDeliveryPause(delivery);
        delivery.start();
      },
    },
    {
      name: 'webhooks',
      routes: webhooks.routes,
      // Reconciliation every 5 min (LEADBRIDGE_RECONCILE_CRON overrides, `off` disables; `leadbridge reconcile` runs it once).
      start: async () => {
        webhooks.processor.start();
        await queue.work('reconcile_amo', async () => {
          try {
            await webhooks.reconcile();
          } catch (err) {
            log.warn({ err }, 'reconciliation failed; the next run retries');
          }
        });
        if (config.reconcileCron) await queue.schedule('reconcile_amo', config.reconcileCron, {});
      },
    },
    {
      name: 'ops',
      routes: (ctx) =>
        opsRoutes({
          requireAdmin: ctx.requireAdmin,
          webhookUrl: () => getWebhookUrl(db.db, config),
          // `leadbridge setup` / `reconcile` while this server holds the embedded database (cli/server-api.ts).
          setup: ({ dryRun }) => collectReport((print) => setupReport({ config, db, conn: connect.conn, dryRun, print })),
          reconcile: (o) => webhooks.reconcile(o),
        }),
    },
    { name: 'capture', routes: () => capture.routes({ intake: intake.intake }) },
    { name: 'dashboard', routes: () => dashboard.routes() },
    {
      name: 'follow-ups',
      routes: (ctx) => followups.routes(ctx),
      health: { followups: async () => ({ ...(await followups.health()), email: await email.health(), whatsapp: await whatsapp.health() }) },
      start: async () => followups.start(),
    },
    { name: 'email', routes: (ctx) => email.routes(ctx, () => whatsapp.sandboxMessages()) },
    { name: 'privacy', routes: (ctx) => privacy.routes(ctx), start: async () => privacy.retention.start() },
    {
      name: 'routing',
      // The take-up deadline reassigns deals left in their first stage.
      start: async () => {
        if (!routing.takeUpEnabled) return;
        await queue.work('routing_take_up', async () => {
          try {
            await routing.takeUpOnce();
          } catch (err) {
            log.warn({ err }, 'take-up check failed; the next run retries');
          }
        });
        await queue.schedule('routing_take_up', '* * * * *', {});
      },
    },
  ];
  return { modules, adminToken: config.adminToken ?? connect.generatedAdminToken, firstAdmin };
}
