// `leadbridge worker`: a delivery-only process (no HTTP) — several can run beside the server on one PostgreSQL;
// they share the outbox (SKIP LOCKED), the round-robin cursor and the 7 req/s budget (PgRateLimitStore).
// With --amo-base-url (tests, benches) it talks to that amoCRM (e.g. the emulator) with the token from the
// environment (AMOCRM_LONG_LIVED_TOKEN or AMOCRM_ACCESS_TOKEN, AMOCRM_DOMAIN); otherwise it uses THE connection
// (encrypted token store) like the server.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { CONTACT_LOOKUPS, type ContactLookup, type DeliveryOptions } from '../delivery/index.js';
import { createLogger } from '../logger.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime/index.js';
import { COMMANDS } from './commands.js';

export interface WorkerCliOptions {
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

/** The worker's runtime: the server's delivery and routing (runtime.delivery()), with the flags given on top. */
export async function openWorkerRuntime(config: Config, o: WorkerCliOptions, extra: Pick<RuntimeOptions, 'db' | 'logger' | 'onOpen'> = {}): Promise<Runtime> {
  const lookup = o.contactLookup;
  if (lookup !== undefined && !CONTACT_LOOKUPS.includes(lookup as ContactLookup)) throw new Error(`--contact-lookup must be one of ${CONTACT_LOOKUPS.join(', ')}`);
  const perSecond = int(o.perSecond, 'per-second');
  const rateMargin = o.rateMargin === undefined ? undefined : Number(o.rateMargin);
  const concurrency = int(o.concurrency, 'concurrency');
  const claimTimeoutMs = int(o.claimTimeoutMs, 'claim-timeout-ms');
  const requestTimeoutMs = int(o.requestTimeoutMs, 'request-timeout-ms');
  const pollIntervalMs = int(o.pollMs, 'poll-ms');
  const delivery: DeliveryOptions = {
    ...(lookup ? { contactLookup: lookup as ContactLookup } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(claimTimeoutMs ? { claimTimeoutMs } : {}),
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    ...(pollIntervalMs ? { pollIntervalMs } : {}),
  };
  return openRuntime(config, {
    role: 'worker',
    env: process.env,
    logger: extra.logger ?? createLogger(config.logLevel),
    ...(extra.db ? { db: extra.db } : {}),
    ...(extra.onOpen ? { onOpen: extra.onOpen } : {}),
    connection: { ...(perSecond ? { perSecond } : {}), ...(rateMargin !== undefined ? { rateMargin } : {}), ...(o.amoBaseUrl ? { amoBaseUrl: o.amoBaseUrl } : {}) },
    delivery,
  });
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
    .option('--rate-margin <fraction>', 'space request slots this much wider than 1/rate (default delivery.rate_margin, 0.2)')
    .action(async (o: WorkerCliOptions) => {
      const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
      const rt = await openWorkerRuntime(config, o);
      const delivery = await rt.delivery().catch(async (e: unknown) => {
        await rt.close();
        throw e;
      });
      const { db, logger } = rt;
      delivery.start();
      process.stdout.write(`leadbridge worker ${delivery.workerId} delivering (lookup ${delivery.lookup}, db ${db.kind})\n`);
      let closing = false;
      const stop = (signal: string): void => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'worker stopping');
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        // The delivery, then the database (the runtime's shutdown steps).
        void rt.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
