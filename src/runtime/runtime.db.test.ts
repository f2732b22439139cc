// Every CLI command and main.ts build the same runtime. For one config, the server's runtime (what startServer
// builds: openRuntime role `server` + serverModules) and the runtime each command opens (observed through
// io.onRuntime, or the open function the command's action calls) are described domain by domain: every domain a
// command builds must be the server's, option for option — `leadbridge reconcile` the server's webhook sync (it once
// built its own without the retention setting), `leadbridge worker` the server's delivery and routing, and so on.
// A command that wired a domain by hand would not list it, and fails here. Against the emulator over real HTTP.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { doctorCommand } from '../cli/doctor.js';
import { followupsLocal, openFollowupsWorkerRuntime } from '../cli/followups.js';
import { forgetCommand } from '../cli/privacy.js';
import { reconcileCommand } from '../cli/reconcile.js';
import { replayCommand } from '../cli/replay.js';
import { setupCommand, type CommandIo } from '../cli/setup.js';
import { webhookUrlCommand } from '../cli/webhook-url.js';
import { openWorkerRuntime } from '../cli/worker.js';
import { loadConfig, type Config } from '../config/index.js';
import { createLogger } from '../logger.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import { openRuntime, serverModules, type Runtime, type RuntimeDescription } from './index.js';

const CONFIG = fileURLToPath(new URL('../../leadbridge.yaml', import.meta.url));
let emu: RunningEmulator;
let tdb: TestDb;
let config: Config;
let server: RuntimeDescription;
let serverSteps: string[];
const silent = createLogger('silent');

beforeAll(async () => {
  emu = await startEmulator({ port: 0, rateLimit: false, logger: false });
  const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
  // A real-account shape (no sandbox): the long-lived token, the emulator as amoCRM, the repo's config file.
  config = loadConfig(
    {
      LEADBRIDGE_CONFIG: CONFIG,
      LEADBRIDGE_DATA_DIR: mkdtempSync(join(tmpdir(), 'leadbridge-runtime-')),
      LEADBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LEADBRIDGE_SECRET_KEY: 'a'.repeat(64),
      AMOCRM_DOMAIN: emu.config.domain,
      AMOCRM_LONG_LIVED_TOKEN: access_token,
      AMOCRM_API_BASE_URL: emu.url,
      LEADBRIDGE_SMTP_CATCHER_PORT: '0',
      LEADBRIDGE_WHATSAPP_EMULATOR_PORT: '0',
      LEADBRIDGE_RECONCILE_CRON: 'off',
      LOG_LEVEL: 'silent',
    },
    {},
  );
  tdb = await createTestDb();
  // main.ts's runtime: what startServer builds before it listens.
  const rt = await openRuntime(config, { role: 'server', db: tdb, env: {}, logger: silent });
  try {
    await serverModules(rt);
    rt.onClose('http', async () => undefined); // what main.ts adds once the app is built
    server = rt.describe();
    serverSteps = rt.shutdownSteps();
  } finally {
    await rt.close();
  }
}, 60_000);
afterAll(async () => {
  await emu?.close();
  await tdb?.cleanup();
});

/** Runs a command with the test database and returns the runtimes it opened. */
async function runtimesOf(run: (io: CommandIo) => Promise<unknown>): Promise<RuntimeDescription[]> {
  const opened: Runtime[] = [];
  await run({ db: tdb, out: () => undefined, err: () => undefined, onRuntime: (rt) => opened.push(rt) });
  return opened.map((rt) => rt.describe());
}

/** Every domain `d` built is the server's, with the same options; returns the names it built. */
function sameAsServer(d: RuntimeDescription | undefined): string[] {
  if (!d) throw new Error('the command opened no runtime: it wires its pieces by hand');
  expect(d.account).toBe(server.account);
  expect(d.db).toBe(server.db);
  for (const [name, options] of Object.entries(d.domains)) expect({ [name]: options }).toEqual({ [name]: server.domains[name] });
  return Object.keys(d.domains).sort();
}

describe('one runtime for main.ts and every CLI command', () => {
  it('the server builds every domain, with the options derived from config', () => {
    expect(server.role).toBe('server');
    expect(Object.keys(server.domains).sort()).toEqual(['dashboard', 'delivery', 'followups', 'privacy', 'routing', 'webhooks']);
    expect(server.domains.webhooks).toMatchObject({ account: 'default', embedded: tdb.kind === 'pglite', rawRetentionDays: config.retention.rawWebhookDays });
    expect(server.domains.delivery).toMatchObject({ options: { contactLookup: config.delivery.contactLookup, exclusiveDb: tdb.kind === 'pglite' } });
    expect(server.domains.followups).toMatchObject({ account: 'default' });
    expect(server.process.connection).toMatchObject({ via: 'server', sharedRateLimit: true, rateMargin: config.delivery.rateMargin });
  });

  it('the server shuts down in the reverse order of the build, HTTP first (the borrowed database stays open)', () => {
    expect(serverSteps).toEqual([
      'http',
      'retention sweep',
      'dashboard rollups',
      'whatsapp',
      'follow-ups',
      'email',
      'webhook processor',
      ...(tdb.kind === 'pglite' ? ['webhook journal'] : []),
      'delivery',
      'connection',
      'queue',
    ]);
  });

  it('reconcile builds the server’s webhook sync', async () => {
    const [d, ...more] = await runtimesOf((io) => reconcileCommand(config, {}, io));
    expect(more).toHaveLength(0);
    expect(sameAsServer(d)).toEqual(['webhooks']);
    // Only the receiving server journals its acks.
    expect(d?.process.webhookJournal).toBeUndefined();
  });

  it('worker builds the server’s delivery and routing (its flags on top, described apart)', async () => {
    for (const flags of [{}, { concurrency: '2', pollMs: '50' }]) {
      const rt = await openWorkerRuntime(config, flags, { db: tdb, logger: silent });
      try {
        await rt.delivery();
        const d = rt.describe();
        expect(d.role).toBe('worker');
        expect(sameAsServer(d)).toEqual(['delivery', 'routing']);
        expect(d.process.delivery).toEqual(Object.keys(flags).length ? { flags: { concurrency: 2, pollIntervalMs: 50 } } : undefined);
        // The amoCRM budget's spacing is the server's (delivery.rate_margin) unless --rate-margin says otherwise.
        expect(d.process.connection).toMatchObject({ sharedRateLimit: true, rateMargin: server.process.connection?.rateMargin });
      } finally {
        await rt.close();
      }
    }
  });

  it('followups list/stop/preview and the followups worker build the server’s follow-ups', async () => {
    const [list] = await runtimesOf((io) => followupsLocal(config, async () => undefined, async () => undefined, io));
    expect(sameAsServer(list)).toEqual(['followups']);
    expect(list?.process.followups).toEqual({ consume: false, channels: [] });
    const smtp = { ...config, followups: { ...config.followups, channels: { ...config.followups.channels, smtpUrl: 'smtp://127.0.0.1:9' } } };
    const rt = await openFollowupsWorkerRuntime(smtp, {}, { db: tdb, logger: silent });
    try {
      await rt.followups();
      expect(sameAsServer(rt.describe())).toEqual(['followups']);
      expect(rt.describe().process.followups).toMatchObject({ consume: true, channels: ['email'] });
    } finally {
      await rt.close();
    }
  });

  it('forget builds the server’s privacy', async () => {
    const [d] = await runtimesOf((io) => forgetCommand(config, { email: 'nobody@example.com' }, io));
    expect(sameAsServer(d)).toEqual(['privacy']);
  });

  it('setup, doctor, replay and webhook-url use the runtime’s connection and database, and build no domain of their own', async () => {
    const runs: [string, (io: CommandIo) => Promise<unknown>][] = [
      ['setup', (io) => setupCommand(config, { dryRun: true }, io)],
      ['doctor', (io) => doctorCommand(config, io)],
      ['replay', (io) => replayCommand(config, [{ status: 'dead' }], io)],
      ['webhook-url', (io) => webhookUrlCommand(config, io)],
    ];
    for (const [name, run] of runs) {
      const opened = await runtimesOf(run);
      expect({ name, runtimes: opened.length }).toEqual({ name, runtimes: 1 });
      expect({ name, domains: sameAsServer(opened[0]) }).toEqual({ name, domains: [] });
    }
  });
});
