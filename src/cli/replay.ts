// `leadbridge replay <id> | --all-dead | --failed`: requeue failed/dead leads (attempts reset). A running worker picks
// them up on its next poll; a lead whose earlier outcome was unknown is still looked up before it is created.
// On embedded PGlite the server holds the data dir: use POST /api/admin/leads/replay while it runs.
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { openDb } from '../db/index.js';
import { replayLeads, type ReplaySelector } from '../delivery/index.js';
import { createLogger } from '../http/index.js';

interface ReplayCliOptions {
  config?: string;
  allDead?: boolean;
  failed?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('Requeue a failed/dead lead by id, every dead lead (--all-dead) or every failed lead (--failed)')
    .argument('[id]', 'lead id (uuid)')
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--all-dead', 'requeue every dead lead')
    .option('--failed', 'requeue every failed lead (permanent errors; fix the config or data first)')
    .action(async (id: string | undefined, o: ReplayCliOptions) => {
      const selectors: ReplaySelector[] = [];
      if (id) selectors.push({ id });
      if (o.allDead) selectors.push({ status: 'dead' });
      if (o.failed) selectors.push({ status: 'failed' });
      if (selectors.length === 0) {
        process.stderr.write('leadbridge replay: give a lead id, --all-dead or --failed\n');
        process.exitCode = 2;
        return;
      }
      if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
        process.stderr.write(`leadbridge replay: "${id}" is not a lead id\n`);
        process.exitCode = 2;
        return;
      }
      const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const db = await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), logger });
      try {
        let total = 0;
        for (const s of selectors) total += (await replayLeads(db.db, s, new Date(), 'cli')).length;
        process.stdout.write(`requeued ${total} lead${total === 1 ? '' : 's'}\n`);
        if (id && total === 0) {
          process.stderr.write(`lead ${id} is not failed, dead or held (nothing to replay)\n`);
          process.exitCode = 1;
        }
      } finally {
        await db.close();
      }
    });
}
