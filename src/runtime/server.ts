// serverModules(rt): what the server mounts and starts — each domain's module (its `<domain>AppModule` factory over
// what the runtime built), in one list. main.ts passes them to buildApp, listens, then starts them in this order:
// the WhatsApp sandbox learns the URL, connect runs the sandbox's OAuth + setup, then the workers start (delivery
// once setup is done and behind the connection's hold). Routes register in the same order.
import type { AppModule } from '../app-module.js';
import { captureAppModule, createCapture } from '../capture/index.js';
import { connectAppModule, getWebhookUrl } from '../connect/index.js';
import { dashboardAppModule, type FirstAdminResult } from '../dashboard/index.js';
import { deliveryAppModule } from '../delivery/index.js';
import { emailAppModule } from '../email/index.js';
import { followupsAppModule } from '../followups/index.js';
import { createIntake } from '../intake/index.js';
import { collectReport, opsAppModule, setupReport, writeAdminTokenFile } from '../ops/index.js';
import { privacyAppModule } from '../privacy/index.js';
import { routingAppModule } from '../routing/index.js';
import { dealView, webhooksAppModule } from '../webhooks/index.js';
import { whatsappAppModule } from '../whatsapp/index.js';
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
    account: rt.account,
    metrics: rt.metrics,
    logger,
    onLeadCaptured: () => {
      delivery.wake();
      followups.wake();
    },
    dealView: (amoLeadId) => dealView(db.db, rt.account, amoLeadId),
    routingView: (leadId) => routing.view(leadId),
    followupsView: (leadId) => followups.leadFollowups(leadId),
  });
  const modules: AppModule[] = [
    intake,
    whatsappAppModule(whatsapp),
    connectAppModule(connect),
    {
      name: 'sandbox notice',
      // After the sandbox's setup. The full URL holds the webhook secret: printed for the operator, never logged.
      start: async () => {
        if (config.sandbox) {
          process.stdout.write(`SANDBOX webhook URL (amoCRM → Leadbridge; also \`npx leadbridge webhook-url\`): ${await getWebhookUrl(db.db, config)}\n\n`);
        }
      },
    },
    // Held by connect while the connection is unusable.
    deliveryAppModule({ delivery, db: db.db, hold: (d) => connect.bindDeliveryPause(d) }),
    { name: 'queue', health: { queue: async () => ({ ok: true, ...(await rt.queueView()) }) } },
    // Reconciliation every 5 min (LEADBRIDGE_RECONCILE_CRON overrides, `off` disables; `leadbridge reconcile` runs it once).
    webhooksAppModule(webhooks, { queue, reconcileCron: config.reconcileCron, logger: log }),
    opsAppModule({
      webhookUrl: () => getWebhookUrl(db.db, config),
      // `leadbridge setup` / `reconcile` while this server holds the embedded database (cli/server-api.ts).
      setup: ({ dryRun }) => collectReport((print) => setupReport({ config, db, conn: connect.conn, dryRun, print })),
      reconcile: (o) => webhooks.reconcile(o),
    }),
    captureAppModule(capture, intake.intake),
    dashboardAppModule(dashboard),
    followupsAppModule(followups, { email: () => email.health(), whatsapp: () => whatsapp.health() }),
    emailAppModule(email, () => whatsapp.sandboxMessages()),
    privacyAppModule(privacy),
    routingAppModule(routing, { queue, logger: log }),
  ];
  return { modules, adminToken: config.adminToken ?? connect.generatedAdminToken, firstAdmin };
}
