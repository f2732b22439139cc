// `leadbridge reconcile`: one reconciliation run (stored webhooks applied first, then amoCRM events since the cursor →
// re-read leads → apply what the webhooks missed; re-enable a disabled webhook subscription), then exit. The server
// runs the same on a schedule; while it holds the embedded database, it runs this one (POST /api/admin/reconcile).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { reconcileLine } from '../ops/index.js';
import type { ReconcileResult } from '../webhooks/index.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import { action, stdout, type CommandIo } from './setup.js';
import { COMMANDS } from './commands.js';

interface ReconcileCliOptions {
  config?: string;
  since?: string;
}

/** One reconciliation run, on the database or through the running server; returns the exit code. */
export async function reconcileCommand(config: Config, o: { since?: number }, io: CommandIo = {}): Promise<number> {
  const target = await openRuntimeOrServer(config, io);
  let r: ReconcileResult;
  if (target.kind === 'server') {
    r = (await target.api.call<ReconcileResult>('POST', '/api/admin/reconcile', { body: o.since !== undefined ? { since: o.since } : {} })).body;
  } else {
    // The server's webhook sync (runtime.webhooks()): the stored webhooks are applied first here too.
    r = await withRuntime(target.rt, async (rt) => (await rt.webhooks()).reconcile(o.since !== undefined ? { since: o.since } : {}));
  }
  (io.out ?? stdout)(reconcileLine(r));
  return 0;
}

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description(COMMANDS['reconcile'])
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .option('--since <unix>', 'read events from this unix time instead of the stored cursor')
    .action(
      action(async (o: ReconcileCliOptions) => {
        const since = o.since !== undefined ? Number(o.since) : undefined;
        if (since !== undefined && !(Number.isInteger(since) && since >= 0)) {
          process.stderr.write('leadbridge reconcile: --since must be a unix time in seconds\n');
          return 2;
        }
        return reconcileCommand(loadConfig(process.env, o.config ? { configPath: o.config } : {}), since !== undefined ? { since } : {});
      }),
    );
}
