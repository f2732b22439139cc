// `leadbridge followups …`: list enrolments, stop one, preview a step's message for a lead, and `worker` — a
// process that only runs follow-up steps (several can run beside the server on one PostgreSQL; SMTP_URL required).
// list/stop/preview open the database directly: on PGlite stop the server first, or use the admin API.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { openDb, type Db } from '../db/index.js';
import { createSmtpChannel } from '../email/index.js';
import { createFollowups, listEnrolmentViews, type Followups } from '../followups/index.js';
import { createLogger } from '../http/index.js';
import { loadResolvedMap } from '../provision/index.js';

async function open(o: { config?: string }, consume: boolean, extra: Partial<Parameters<typeof createFollowups>[0]> = {}): Promise<{ config: Config; db: Db; fu: Followups }> {
  const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
  const db = await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), migrate: true });
  const fu = createFollowups({
    db: db.db,
    config,
    account: 'default',
    channels: {},
    pipelines: async (tx) => (await loadResolvedMap(tx))?.pipelines,
    consume,
    ...extra,
  });
  return { config, db, fu };
}

const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

export function registerFollowupsCommand(program: Command): void {
  const cmd = program.command('followups').description('Follow-up sequences: enrolments, stop, preview, a steps-only worker');
  cmd
    .command('list')
    .description('List enrolments (newest first) with their steps')
    .option('-c, --config <path>', 'config file')
    .option('--lead <id>', 'only this lead')
    .option('--status <status>', 'active | completed | exited')
    .option('--sequence <key>', 'only this sequence')
    .action(async (o: { config?: string; lead?: string; status?: string; sequence?: string }) => {
      const { db } = await open(o, false);
      try {
        out(await listEnrolmentViews(db.db, 'default', { ...(o.lead ? { leadId: o.lead } : {}), ...(o.status ? { status: o.status } : {}), ...(o.sequence ? { sequence: o.sequence } : {}) }));
      } finally {
        await db.close();
      }
    });
  cmd
    .command('stop <enrolmentId>')
    .description('Stop an enrolment (exit reason `stopped`)')
    .option('-c, --config <path>', 'config file')
    .action(async (id: string, o: { config?: string }) => {
      const { db, fu } = await open(o, false);
      try {
        const v = await fu.stopEnrolment(id);
        if (!v) throw new Error('no enrolment with this id');
        out(v);
      } finally {
        await db.close();
      }
    });
  cmd
    .command('preview')
    .description("Render a sequence step's message for a lead (nothing is sent)")
    .requiredOption('--lead <id>', 'lead id')
    .requiredOption('--sequence <key>', 'sequence key')
    .requiredOption('--step <n>', 'step index (0-based, as in the config)')
    .option('-c, --config <path>', 'config file')
    .action(async (o: { config?: string; lead: string; sequence: string; step: string }) => {
      const { db, fu } = await open(o, false);
      try {
        out(await fu.preview(o.lead, o.sequence, Number(o.step)));
      } finally {
        await db.close();
      }
    });
  cmd
    .command('worker')
    .description('Run only follow-up steps and their event consumer (no HTTP); needs SMTP_URL')
    .option('-c, --config <path>', 'config file')
    .option('--poll-ms <ms>', 'poll interval when idle (default 500)')
    .option('--sending-timeout-ms <ms>', 'an attempt left in sending this long is marked unknown (default 300000)')
    .action(async (o: { config?: string; pollMs?: string; sendingTimeoutMs?: string }) => {
      const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
      const ch = config.followups.channels;
      if (!ch.smtpUrl) throw new Error('leadbridge followups worker needs SMTP_URL (the sandbox SMTP catcher lives in the server process)');
      const logger = createLogger(config.logLevel);
      const email = createSmtpChannel({ url: ch.smtpUrl, from: ch.mailFrom, dkim: ch.dkim, ratePerSecond: config.followups.settings.email.rate_per_second, ignoreTLS: process.env.SMTP_IGNORE_TLS === '1' });
      const { db, fu } = await open(o, true, {
        channels: { email },
        logger: logger.child({ module: 'followups' }),
        options: { ...(o.pollMs ? { pollMs: Number(o.pollMs) } : {}), ...(o.sendingTimeoutMs ? { sendingTimeoutMs: Number(o.sendingTimeoutMs) } : {}) },
      });
      fu.start();
      process.stdout.write(`leadbridge followups worker running (db ${db.kind})\n`);
      const stop = () => {
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        void fu
          .stop()
          .then(() => email.close())
          .then(() => db.close())
          .then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
