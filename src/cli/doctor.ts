// `leadbridge doctor`: config, connection and token expiry, every mapped field/pipeline/stage, the webhook
// subscription, the circuit, database and queue: a ✓/✗ table with the fix for each ✗; exit 1 on any ✗.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { connectDoctor, createAmoConnection, demoSpec, resolveSecretKey } from '../connect/index.js';
import { openDb, type Db } from '../db/index.js';
import { createLogger } from '../http/index.js';
import { isOperatorError, type CommandIo } from './setup.js';

/** `io.db` reuses an open database (tests). Returns the exit code. */
export async function doctorCommand(config: Config, io: CommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const db = io.db ?? (await openDb({ ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }), logger }));
  try {
    const conn = await createAmoConnection({ config, db, key: await resolveSecretKey(db.db, config), logger });
    const report = await connectDoctor({ config, db, conn, ...(config.sandbox && !config.account ? { spec: demoSpec() } : {}) });
    out(report.text);
    return report.ok ? 0 : 1;
  } finally {
    if (!io.db) await db.close();
  }
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check config, amoCRM connection and tokens, fields, pipeline, webhook, database: ✓/✗ with fixes')
    .option('-c, --config <path>', 'config file (default LEADBRIDGE_CONFIG or ./leadbridge.yaml)')
    .action(async (o: { config?: string }) => {
      try {
        const config = loadConfig(process.env, o.config ? { configPath: o.config } : {});
        process.exitCode = await doctorCommand(config);
      } catch (e) {
        if (!isOperatorError(e)) throw e;
        process.stderr.write(`leadbridge: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
