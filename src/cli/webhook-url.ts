// `leadbridge webhook-url`: the full URL amoCRM must call (it holds the webhook secret). Read from
// LEADBRIDGE_WEBHOOK_SECRET, else from the database; while a running server holds the embedded database, asked from
// that server's admin API (GET /api/admin/webhook-url, server-api.ts).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { getWebhookUrl } from '../connect/index.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import { action, stdout, type CommandIo } from './setup.js';
import { COMMANDS } from './commands.js';

/** Returns the exit code; `io.db` reuses an open database (tests). */
export async function webhookUrlCommand(config: Config, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? stdout;
  if (config.webhookSecret) {
    out(`${config.publicUrl}/api/webhooks/amo/${config.webhookSecret}`);
    return 0;
  }
  const target = await openRuntimeOrServer(config, io);
  if (target.kind === 'server') {
    out((await target.api.call<{ url: string }>('GET', '/api/admin/webhook-url')).body.url);
    return 0;
  }
  return withRuntime(target.rt, async (rt) => {
    out(await getWebhookUrl(rt.db.db, config));
    return 0;
  });
}

export function registerWebhookUrlCommand(program: Command): void {
  program
    .command('webhook-url')
    .description(COMMANDS['webhook-url'])
    .action(action(async () => webhookUrlCommand(loadConfig(process.env))));
}
