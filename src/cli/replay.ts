// `leadbridge replay <id> | --all-dead | --failed`: requeue failed/dead leads (attempts reset). A running worker picks
// them up on its next poll; a lead whose earlier outcome was unknown is still looked up before it is created.
// While a running server holds the embedded database, the server does it (POST /api/admin/leads/…/replay).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { replayLeads, type ReplaySelector } from '../delivery/index.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import type { ServerApi } from './server-api.js';
import { action, stderr, stdout, type CommandIo } from './setup.js';
import { COMMANDS } from './commands.js';

interface ReplayCliOptions {
  config?: string;
  allDead?: boolean;
  failed?: boolean;
}

async function replayThroughServer(api: ServerApi, s: ReplaySelector): Promise<number> {
  if ('id' in s && s.id) {
    // 404 (no such lead) and 409 (not failed, dead or held): nothing replayed, as when the CLI does it itself.
    const r = await api.call<{ count?: number }>('POST', `/api/admin/leads/${encodeURIComponent(s.id)}/replay`, { accept: [200, 404, 409] });
    return r.status === 200 ? (r.body.count ?? 0) : 0;
  }
  const status = 'status' in s ? s.status : 'dead';
  return (await api.call<{ count: number }>('POST', `/api/admin/leads/replay?status=${status}`)).body.count;
}

/** Requeues what the selectors name (an id is reported when nothing was replayed); returns the exit code. */
export async function replayCommand(config: Config, selectors: ReplaySelector[], io: CommandIo = {}): Promise<number> {
  const out = io.out ?? stdout;
  const err = io.err ?? stderr;
  const target = await openRuntimeOrServer(config, io);
  let total = 0;
  if (target.kind === 'server') {
    for (const s of selectors) total += await replayThroughServer(target.api, s);
  } else {
    await withRuntime(target.rt, async (rt) => {
      for (const s of selectors) total += (await replayLeads(rt.db.db, s, new Date(), 'cli')).length;
    });
  }
  out(`requeued ${total} lead${total === 1 ? '' : 's'}`);
  const id = selectors.find((s): s is { id: string } => 'id' in s)?.id;
  if (id && total === 0) {
    err(`lead ${id} is not failed, dead or held (nothing to replay)`);
    return 1;
  }
  return 0;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(COMMANDS['replay'])
    .argument('[id]', 'lead id (uuid)')
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--all-dead', 'requeue every dead lead')
    .option('--failed', 'requeue every failed lead (permanent errors; fix the config or data first)')
    .action(
      action(async (id: string | undefined, o: ReplayCliOptions) => {
        const selectors: ReplaySelector[] = [];
        if (id) selectors.push({ id });
        if (o.allDead) selectors.push({ status: 'dead' });
        if (o.failed) selectors.push({ status: 'failed' });
        if (selectors.length === 0) {
          stderr('leadbridge replay: give a lead id, --all-dead or --failed');
          return 2;
        }
        if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
          stderr(`leadbridge replay: "${id}" is not a lead id`);
          return 2;
        }
        return replayCommand(loadConfig(process.env, o.config ? { configPath: o.config } : {}), selectors);
      }),
    );
}
