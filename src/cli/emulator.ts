// `leadbridge emulator`: runs the amoCRM emulator on a port until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { startEmulator, type EmulatorOptions } from '../amocrm-emulator/index.js';
import { COMMANDS } from './commands.js';

interface EmulatorCliOptions {
  port?: string;
  host?: string;
  subdomain?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  autoApprove?: boolean;
  stateFile?: string;
  rateLimit?: boolean;
  latencyMs?: string;
  searchLagMs?: string;
  blockAfter429s?: string;
  duplicateControl?: boolean;
  refreshMode?: string;
}

/** The emulator's port everywhere (sandbox, README, .env.example): LEADBRIDGE_EMULATOR_PORT, default 8001. */
export const DEFAULT_EMULATOR_PORT = 8001;

/**
 * CLI flags win over env; env wins over the emulator's defaults. The port: --port, else LEADBRIDGE_EMULATOR_PORT,
 * else the deprecated EMULATOR_PORT (with a warning), else 8001.
 */
export function emulatorOptionsFrom(o: EmulatorCliOptions, env: NodeJS.ProcessEnv, warn: (message: string) => void = () => undefined): EmulatorOptions {
  const fromEnv = env.LEADBRIDGE_EMULATOR_PORT?.trim() || undefined;
  const legacy = env.EMULATOR_PORT?.trim() || undefined;
  if (legacy !== undefined) {
    warn(
      fromEnv !== undefined || o.port !== undefined
        ? 'EMULATOR_PORT is deprecated and ignored here (LEADBRIDGE_EMULATOR_PORT or --port is set): remove it'
        : 'EMULATOR_PORT is deprecated: rename it to LEADBRIDGE_EMULATOR_PORT (the name the sandbox and .env.example use)',
    );
  }
  const port = o.port ?? fromEnv ?? legacy;
  const opts: EmulatorOptions = {
    port: port === undefined ? DEFAULT_EMULATOR_PORT : Number(port),
    host: o.host ?? '127.0.0.1',
    autoApprove: o.autoApprove === true,
    duplicateControl: o.duplicateControl === true,
    logger: false,
  };
  const subdomain = o.subdomain ?? env.AMOCRM_SUBDOMAIN;
  const clientId = o.clientId ?? env.AMOCRM_CLIENT_ID;
  const clientSecret = o.clientSecret ?? env.AMOCRM_CLIENT_SECRET;
  const redirectUri = o.redirectUri ?? env.AMOCRM_REDIRECT_URI;
  if (subdomain) opts.subdomain = subdomain;
  if (clientId) opts.clientId = clientId;
  if (clientSecret) opts.clientSecret = clientSecret;
  if (redirectUri) opts.redirectUri = redirectUri;
  if (o.stateFile) opts.stateFile = o.stateFile;
  if (o.rateLimit === false) opts.rateLimit = false;
  if (o.latencyMs !== undefined) opts.latencyMs = Number(o.latencyMs);
  if (o.searchLagMs !== undefined) opts.searchLagMs = Number(o.searchLagMs);
  if (o.blockAfter429s !== undefined && opts.rateLimit !== false) opts.rateLimit = { blockAfter429s: Number(o.blockAfter429s) };
  if (o.refreshMode === 'grace' || o.refreshMode === 'strict') opts.refreshMode = o.refreshMode;
  if (!Number.isInteger(opts.port) || (opts.port ?? 0) < 0) throw new Error(`invalid port: ${String(port)}`);
  return opts;
}

export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description(COMMANDS['emulator'])
    .option('-p, --port <port>', `port to listen on (0 = random; env LEADBRIDGE_EMULATOR_PORT; default ${DEFAULT_EMULATOR_PORT})`)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--subdomain <name>', 'account subdomain (env AMOCRM_SUBDOMAIN; default demo)')
    .option('--client-id <uuid>', 'integration id (env AMOCRM_CLIENT_ID)')
    .option('--client-secret <secret>', 'integration secret (env AMOCRM_CLIENT_SECRET)')
    .option('--redirect-uri <url>', 'registered redirect URI (env AMOCRM_REDIRECT_URI)')
    .option('--auto-approve', 'the consent page approves at once')
    .option('--state-file <path>', 'persist state to this JSON file')
    .option('--no-rate-limit', 'disable the 7/50 rps limits')
    .option('--latency-ms <ms>', 'added to every /api/v4 response')
    .option('--search-lag-ms <ms>', 'search index lag: `query` finds an entity only this long after its last change (default 0)')
    .option('--block-after-429s <n>', 'n 429s within a minute turn into a 60 s 403 block (default 20; 0 = never)')
    .option('--duplicate-control', 'enable duplicate control on /leads/complex')
    .option('--refresh-mode <mode>', 'strict (default) or grace')
    .action(async (o: EmulatorCliOptions) => {
      const emu = await startEmulator(emulatorOptionsFrom(o, process.env, (m) => process.stderr.write(`warning: ${m}\n`)));
      const { config } = emu;
      process.stdout.write(
        [
          `amoCRM emulator listening on ${emu.url}`,
          `  subdomain:     ${config.subdomain} (${config.domain}), account id ${config.accountId}`,
          `  client id:     ${config.clientId}`,
          `  redirect uri:  ${config.redirectUri}`,
          `  consent page:  ${emu.url}/oauth?client_id=${config.clientId}&state=xyz`,
          `  state:         curl ${emu.url}/_emulator/state`,
          `  faults:        curl -X POST ${emu.url}/_emulator/faults -H 'content-type: application/json' -d '{"method":"POST","path":"/api/v4/leads/complex","status":503,"count":2}'`,
          `  tokens:        curl -X POST ${emu.url}/_emulator/tokens`,
          '',
        ].join('\n'),
      );
      let closing = false;
      const stop = (signal: string): void => {
        if (closing) return;
        closing = true;
        process.stdout.write(`received ${signal}, closing emulator\n`);
        emu.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
