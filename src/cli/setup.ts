// `leadbridge setup [--dry-run] [--config path]`: create what the config's `account:` section needs in amoCRM (never
// deletes), subscribe Leadbridge's webhook URL, store the resolved ids. A second run changes nothing and says so.
import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { ConnectError, createAmoConnection, demoSpec, getWebhookUrl, resolveSecretKey, runSetup, type SetupResult } from '../connect/index.js';
import { DataDirLockedError, openDb, type Db } from '../db/index.js';
import { createLogger } from '../http/index.js';
import { ProvisionError, renderProblems } from '../provision/index.js';

export interface CommandIo {
  out?: (text: string) => void;
  /** An open database to use (and leave open) instead of opening the configured one. */
  db?: Db;
}

/** Errors whose message is the whole story (bad config, data dir in use, missing secret key): no stack trace. */
export function isOperatorError(e: unknown): e is Error {
  return e instanceof ConfigError || e instanceof DataDirLockedError || e instanceof ConnectError;
}

interface SetupCliOptions {
  config?: string;
  dryRun?: boolean;
}


/** Runs setup with the app's connection; `io.db` reuses an open database (tests). Returns the exit code. */
export async function setupCommand(config: Config, o: { dryRun?: boolean }, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const db = io.db ?? (await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), logger }));
  try {
    const conn = await createAmoConnection({ config, db, key: await resolveSecretKey(db.db, config), logger });
    const status = await conn.status();
    if (status.state !== 'connected') {
      out(`amoCRM is not connected (${status.state}${status.reason ? `: ${status.reason}` : ''}). Open ${config.publicUrl}/api/auth/amo first.`);
      return 2;
    }
    if (!config.account && !config.sandbox) out('The config has no `account:` section: only Leadbridge\'s own LEADBRIDGE_ID field and the webhook are set up.');
    out(`Account: ${status.host}${config.sandbox ? ' (sandbox emulator)' : ''}${o.dryRun ? ' — dry run' : ''}\n`);
    let result: SetupResult;
    try {
      result = await runSetup({
        amo: conn.amo,
        db,
        config,
        ...(config.sandbox && !config.account ? { spec: demoSpec() } : {}),
        dryRun: o.dryRun === true,
        print: out,
      });
    } catch (e) {
      if (!(e instanceof ProvisionError)) throw e;
      out(e.message);
      if (e.applied.length > 0) out(`(${e.applied.length} change(s) were made before the failure; run setup again to continue.)`);
      return 1;
    }
    if (result.problems.length > 0) {
      if (o.dryRun !== true) out(renderProblems(result.problems));
      return 1;
    }
    out(`\nWebhook URL (amoCRM → Leadbridge${o.dryRun ? '; subscribed by setup without --dry-run' : ''}): ${await getWebhookUrl(db.db, config)}`);
    return 0;
  } finally {
    if (!io.db) await db.close();
  }
}

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('Create the pipelines, stages and fields of the config in amoCRM (never deletes), subscribe the webhook, store the ids')
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--dry-run', 'print the plan and change nothing')
    .action(async (o: SetupCliOptions) => {
      try {
        const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
        process.exitCode = await setupCommand(config, { dryRun: o.dryRun === true });
      } catch (e) {
        if (!isOperatorError(e)) throw e;
        process.stderr.write(`leadbridge: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
