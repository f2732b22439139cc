// `leadbridge followups …`: list enrolments, stop one, preview a step's message for a lead, and `worker` — a
// process that only runs follow-up steps (several can run beside the server on one PostgreSQL; SMTP_URL required).
// list/stop/preview open the database; while a running server holds the embedded one they ask its admin API
// (/api/admin/followups/*, server-api.ts) and print the same JSON.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { listEnrolmentViews, type Followups } from '../followups/index.js';
import { createLogger } from '../logger.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime/index.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import type { ServerApi } from './server-api.js';
import { action, type CommandIo } from './setup.js';
import { COMMANDS } from './commands.js';

const configOf = (o: { config?: string }): Config => loadConfig(process.env, o.config ? { configPath: o.config } : {});

/** The steps-only worker's runtime: the server's follow-ups over SMTP_URL, consuming events, with the flags given. */
export function openFollowupsWorkerRuntime(
  config: Config,
  o: { pollMs?: string; sendingTimeoutMs?: string },
  extra: Pick<RuntimeOptions, 'db' | 'logger' | 'onOpen'> = {},
): Promise<Runtime> {
  if (!config.followups.channels.smtpUrl) throw new Error('leadbridge followups worker needs SMTP_URL (the sandbox SMTP catcher lives in the server process)');
  return openRuntime(config, {
    role: 'followups-worker',
    env: process.env,
    logger: extra.logger ?? createLogger(config.logLevel),
    ...(extra.db ? { db: extra.db } : {}),
    ...(extra.onOpen ? { onOpen: extra.onOpen } : {}),
    followups: { ...(o.pollMs ? { pollMs: Number(o.pollMs) } : {}), ...(o.sendingTimeoutMs ? { sendingTimeoutMs: Number(o.sendingTimeoutMs) } : {}) },
  });
}

/** list/stop/preview: on the runtime's follow-ups, or through the running server when it holds the embedded database. */
export async function followupsLocal<T>(
  config: Config,
  onRuntime: (rt: Runtime, fu: Followups) => Promise<T>,
  onServer: (api: ServerApi) => Promise<T>,
  io: CommandIo = {},
): Promise<T> {
  const target = await openRuntimeOrServer(config, io);
  if (target.kind === 'server') return onServer(target.api);
  return withRuntime(target.rt, async (rt) => onRuntime(rt, await rt.followups()));
}

const query = (q: Record<string, string | undefined>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, v);
  return p.toString();
};

const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

export function registerFollowupsCommand(program: Command): void {
  const cmd = program.command('followups').description(COMMANDS['followups']);
  cmd
    .command('list')
    .description('List enrolments (newest first) with their steps')
    .option('-c, --config <path>', 'config file')
    .option('--lead <id>', 'only this lead')
    .option('--status <status>', 'active | completed | exited')
    .option('--sequence <key>', 'only this sequence')
    .action(
      action(async (o: { config?: string; lead?: string; status?: string; sequence?: string }) => {
        out(
          await followupsLocal(
            configOf(o),
            (rt) => listEnrolmentViews(rt.db.db, rt.account, { ...(o.lead ? { leadId: o.lead } : {}), ...(o.status ? { status: o.status } : {}), ...(o.sequence ? { sequence: o.sequence } : {}) }),
            async (api) =>
              (await api.call<{ enrolments: unknown[] }>('GET', `/api/admin/followups/enrolments?${query({ lead_id: o.lead, status: o.status, sequence: o.sequence, limit: '500' })}`)).body
                .enrolments,
          ),
        );
      }),
    );
  cmd
    .command('stop <enrolmentId>')
    .description('Stop an enrolment (exit reason `stopped`)')
    .option('-c, --config <path>', 'config file')
    .action(
      action(async (id: string, o: { config?: string }) => {
        const v = await followupsLocal(
          configOf(o),
          (_rt, fu) => fu.stopEnrolment(id),
          async (api) => {
            const r = await api.call('POST', `/api/admin/followups/enrolments/${encodeURIComponent(id)}/stop`, { accept: [200, 404] });
            return r.status === 200 ? r.body : undefined;
          },
        );
        if (!v) {
          process.stderr.write('leadbridge: no enrolment with this id\n');
          return 1;
        }
        out(v);
        return 0;
      }),
    );
  cmd
    .command('preview')
    .description("Render a sequence step's message for a lead (nothing is sent)")
    .requiredOption('--lead <id>', 'lead id')
    .requiredOption('--sequence <key>', 'sequence key')
    .requiredOption('--step <n>', 'step index (0-based, as in the config)')
    .option('-c, --config <path>', 'config file')
    .action(
      action(async (o: { config?: string; lead: string; sequence: string; step: string }) => {
        out(
          await followupsLocal(
            configOf(o),
            (_rt, fu) => fu.preview(o.lead, o.sequence, Number(o.step)),
            async (api) => (await api.call('GET', `/api/admin/followups/preview?${query({ lead_id: o.lead, sequence: o.sequence, step: o.step })}`)).body,
          ),
        );
      }),
    );
  cmd
    .command('worker')
    .description('Run only follow-up steps and their event consumer (no HTTP); needs SMTP_URL')
    .option('-c, --config <path>', 'config file')
    .option('--poll-ms <ms>', 'poll interval when idle (default 500)')
    .option('--sending-timeout-ms <ms>', 'an attempt left in sending this long is marked unknown (default 300000)')
    .action(async (o: { config?: string; pollMs?: string; sendingTimeoutMs?: string }) => {
      const rt = await openFollowupsWorkerRuntime(configOf(o), o);
      const fu = await rt.followups().catch(async (e: unknown) => {
        await rt.close();
        throw e;
      });
      fu.start();
      process.stdout.write(`leadbridge followups worker running (db ${rt.db.kind})\n`);
      const stop = () => {
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        // follow-ups, then the SMTP channel, then the database (the runtime's shutdown steps).
        void rt.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
