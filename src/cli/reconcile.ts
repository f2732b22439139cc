// `leadbridge reconcile`: one reconciliation run (amoCRM events since the cursor → re-read leads → apply what the
// webhooks missed; re-enable a disabled webhook subscription), then exit. The server runs the same on a schedule.
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { createAmoConnection, getWebhookSecret, getWebhookUrl, resolveSecretKey } from '../connect/index.js';
import { openDb } from '../db/index.js';
import { createLogger } from '../http/index.js';
import { loadResolvedMap } from '../provision/index.js';
import { cachedFieldMap, reconcileOnce } from '../webhooks/index.js';

interface ReconcileCliOptions {
  config?: string;
  since?: string;
}

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('Repair local deal state from amoCRM events (what webhooks missed) and re-enable a disabled webhook')
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--since <unix>', 'read events from this unix time instead of the stored cursor')
    .action(async (o: ReconcileCliOptions) => {
      const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const db = await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), logger });
      try {
        const key = await resolveSecretKey(db.db, config);
        const conn = await createAmoConnection({
          config,
          db,
          key,
          logger,
        });
        const since = o.since !== undefined ? Number(o.since) : undefined;
        if (since !== undefined && !Number.isInteger(since)) throw new Error('--since must be a unix time in seconds');
        const r = await reconcileOnce({
          db: db.db,
          amo: conn.amo,
          webhookSecret: await getWebhookSecret(db.db, config),
          webhookUrl: await getWebhookUrl(db.db, config),
          fieldMap: cachedFieldMap(() => loadResolvedMap(db.db)),
          logger: logger.child({ module: 'webhooks' }),
          ...(since !== undefined ? { since } : {}),
        });
        process.stdout.write(
          `reconciled events ${new Date(r.since * 1000).toISOString()} → ${new Date(r.cursor * 1000).toISOString()}: ` +
            `${r.events} events, ${r.leads} leads re-read, ${r.repaired} repaired` +
            (r.resubscribed.length ? `; re-subscribed disabled webhook ${r.resubscribed.join(', ')}` : '') +
            '\n',
        );
      } finally {
        await db.close();
      }
    });
}
