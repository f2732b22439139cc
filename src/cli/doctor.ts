// `leadbridge doctor`: config, connection and token expiry, every mapped field/pipeline/stage, the webhook
// subscription, the circuit, database and queue: a ✓/✗ table with the fix for each ✗; exit 1 on any ✗.
// While a running server holds the embedded database, the server runs the checks (GET /api/admin/doctor).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { connectDoctor, demoSpec } from '../connect/index.js';
import { QUEUE_TASKS, queuedJobs } from '../queue/index.js';
import { openRuntimeOrServer, withRuntime } from './runtime.js';
import { action, type CommandIo, stdout } from './setup.js';
import { COMMANDS } from './commands.js';

/** `io.db` reuses an open database (tests). Returns the exit code. */
export async function doctorCommand(config: Config, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? stdout;
  const target = await openRuntimeOrServer(config, io);
  if (target.kind === 'server') {
    // 503 = some check failed; the report is the same.
    const r = await target.api.call<{ ok: boolean; text: string }>('GET', '/api/admin/doctor', { accept: [200, 503] });
    out(r.body.text);
    return r.body.ok ? 0 : 1;
  }
  return withRuntime(target.rt, async (rt) => {
    const { conn } = await rt.connection();
    if (!conn) throw new Error('doctor needs the amoCRM connection');
    const report = await connectDoctor({
      config,
      db: rt.db,
      conn,
      queueDepth: () => queuedJobs(rt.db, QUEUE_TASKS),
      ...(config.sandbox && !config.account ? { spec: demoSpec() } : {}),
    });
    out(report.text);
    return report.ok ? 0 : 1;
  });
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(COMMANDS['doctor'])
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .action(
      action(async (o: { config?: string }) => {
        const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
        return doctorCommand(config);
      }),
    );
}
