// `leadbridge webhook-url`: the full URL amoCRM must call (it holds the webhook secret). Read from
// LEADBRIDGE_WEBHOOK_SECRET, else from the database; while a running server holds the embedded database, asked from
// that server's admin API (GET /api/admin/webhook-url, LEADBRIDGE_ADMIN_TOKEN).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { getWebhookUrl } from '../connect/index.js';
import { DataDirLockedError, openDb, type Db } from '../db/index.js';
import { isOperatorError, type CommandIo } from './setup.js';

async function fromServer(config: Config): Promise<string> {
  if (!config.adminToken) {
    throw new Error(
      'the running server holds the data directory: set LEADBRIDGE_ADMIN_TOKEN (the sandbox prints its generated one at start) so this command can ask it, or stop the server',
    );
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const res = await fetch(`http://${host}:${config.port}/api/admin/webhook-url`, { headers: { authorization: `Bearer ${config.adminToken}` } });
  if (!res.ok) throw new Error(`the running server answered ${res.status} to GET /api/admin/webhook-url`);
  return ((await res.json()) as { url: string }).url;
}

/** Returns the exit code; `io.db` reuses an open database (tests). */
export async function webhookUrlCommand(config: Config, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  if (config.webhookSecret) {
    out(`${config.publicUrl}/api/webhooks/amo/${config.webhookSecret}`);
    return 0;
  }
  let db: Db | undefined = io.db;
  try {
    db ??= await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), migrate: true });
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    out(await fromServer(config));
    return 0;
  }
  try {
    out(await getWebhookUrl(db.db, config));
    return 0;
  } finally {
    if (!io.db) await db.close();
  }
}

export function registerWebhookUrlCommand(program: Command): void {
  program
    .command('webhook-url')
    .description('Print the full webhook URL amoCRM must call (it holds the secret; `setup` subscribes it)')
    .action(async () => {
      try {
        process.exitCode = await webhookUrlCommand(loadConfig(process.env));
      } catch (e) {
        process.stderr.write(`leadbridge: ${isOperatorError(e) || e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      }
    });
}
