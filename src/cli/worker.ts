// `leadbridge worker`: a delivery-only process (no HTTP) — several can run beside the server on one PostgreSQL;
// they share the outbox (SKIP LOCKED), the round-robin cursor and the 7 req/s budget (PgRateLimitStore).
// With --amo-base-url (tests, benches) it talks to that amoCRM (e.g. the emulator) with the token from the
// environment (AMOCRM_LONG_LIVED_TOKEN or AMOCRM_ACCESS_TOKEN, AMOCRM_DOMAIN); otherwise it uses THE connection
// (encrypted token store) like the server.
import type { Command } from 'commander';
import { AmoClient, longLivedTokenSet, MemoryTokenStore } from '../amocrm/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { createAmoConnection, resolveSecretKey } from '../connect/index.js';
import { PgRateLimitStore } from '../connect/index.js';
import { openDb, type Db } from '../db/index.js';
import { CONTACT_LOOKUPS, createDelivery, type ContactLookup } from '../delivery/index.js';
import { createLogger } from '../logger.js';
import { loadResolvedMap } from '../provision/index.js';
import { createRouting } from '../routing/index.js';
import { COMMANDS } from './commands.js';

interface WorkerCliOptions {
  config?: string;
  amoBaseUrl?: string;
  contactLookup?: string;
  concurrency?: string;
  claimTimeoutMs?: string;
  requestTimeoutMs?: string;
  pollMs?: string;
  perSecond?: string;
  rateMargin?: string;
}

const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};

async function amoFor(config: Config, db: Db, o: WorkerCliOptions): Promise<AmoClient> {
  const perSecond = int(o.perSecond, 'per-second') ?? config.delivery.ratePerSecond;
  const margin = o.rateMargin === undefined ? undefined : Number(o.rateMargin);
  if (margin !== undefined && !(margin >= 0 && margin < 1)) throw new Error('--rate-margin must be between 0 and 1');
  const rateLimitStore = new PgRateLimitStore(db.db, margin === undefined ? {} : { safetyMargin: margin });
  if (o.amoBaseUrl) {
    const token = config.amocrm.longLivedToken ?? config.amocrm.accessToken;
    if (!token || !config.amocrm.host) throw new Error('--amo-base-url needs AMOCRM_DOMAIN and AMOCRM_LONG_LIVED_TOKEN (or AMOCRM_ACCESS_TOKEN)');
    return new AmoClient({
      domain: config.amocrm.host,
      baseUrl: o.amoBaseUrl,
      tokens: new MemoryTokenStore(longLivedTokenSet(token)),
      rateLimit: { store: rateLimitStore, perSecond },
    });
  }
  const key = await resolveSecretKey(db.db, config);
  const conn = await createAmoConnection({
    config,
    db,
    key,
    rateLimitStore,
    client: { perSecond },
  });
  return conn.amo;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(COMMANDS['worker'])
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--amo-base-url <url>', 'send amoCRM calls here (the emulator) with the token from AMOCRM_LONG_LIVED_TOKEN')
    .option('--contact-lookup <mode>', `contact dedup: ${CONTACT_LOOKUPS.join(' | ')} (default: config, else search)`)
    .option('--concurrency <n>', 'batches in flight (default 6)')
    .option('--claim-timeout-ms <ms>', 'sweep claims older than this back (default 120000)')
    .option('--request-timeout-ms <ms>', 'timeout of each amoCRM call (default 15000)')
    .option('--poll-ms <ms>', 'poll interval when idle (default 1000)')
    .option('--per-second <n>', 'amoCRM requests per second shared by all processes (default delivery.rate_per_second)')
    .option('--rate-margin <fraction>', 'space request slots this much wider than 1/rate (default 0.1)')
    .action(async (o: WorkerCliOptions) => {
      const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
      const logger = createLogger(config.logLevel);
      const lookup = o.contactLookup ?? config.delivery.contactLookup;
      if (!CONTACT_LOOKUPS.includes(lookup as ContactLookup)) throw new Error(`--contact-lookup must be one of ${CONTACT_LOOKUPS.join(', ')}`);
      const db = await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), logger });
      const concurrency = int(o.concurrency, 'concurrency');
      const claimTimeoutMs = int(o.claimTimeoutMs, 'claim-timeout-ms');
      const requestTimeoutMs = int(o.requestTimeoutMs, 'request-timeout-ms');
      const pollIntervalMs = int(o.pollMs, 'poll-ms');
      const amo = await amoFor(config, db, o);
      const routing = createRouting({ db: db.db, amo, config: config.routing, logger });
      const delivery = createDelivery({
        db: db.db,
        amo,
        config,
        route: (leads, ctx) => routing.route(leads, ctx),
        resolved: async () => (await loadResolvedMap(db.db)) ?? undefined,
        logger,
        phoneCountry: config.defaultCountry,
        options: {
          contactLookup: lookup as ContactLookup,
          exclusiveDb: db.kind === 'pglite',
          ...(concurrency ? { concurrency } : {}),
          ...(claimTimeoutMs ? { claimTimeoutMs } : {}),
          ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
          ...(pollIntervalMs ? { pollIntervalMs } : {}),
        },
      });
      delivery.start();
      process.stdout.write(`leadbridge worker ${delivery.workerId} delivering (lookup ${delivery.lookup}, db ${db.kind})\n`);
      let closing = false;
      const stop = (signal: string): void => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'worker stopping');
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        void delivery
          .stop()
          .then(() => db.close())
          .then(
            () => process.exit(0),
            () => process.exit(1),
          );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
