// Test helpers for connect: a real emulator over HTTP, a test database, one connection, and the app with the
// connect routes (the tests build the app). Used by src/connect/*.db.test.ts (lives in test/, outside the build).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/amocrm-emulator/index.js';
import { tokenSetFromResponse, type TokenSet } from '../src/amocrm/index.js';
import type { Config } from '../src/config/index.js';
import { createTestDb, type TestDb } from './db.js';
import { testConfig } from './config.js';
import { createAmoConnection, type AmoConnection, type AmoConnectionDeps } from '../src/connect/connection.js';
import { generateKey, parseSecretKey } from '../src/connect/crypto.js';
import { connectRoutes, type ConnectRoutesDeps } from '../src/connect/routes.js';

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface Harness {
  emu: RunningEmulator;
  tdb: TestDb;
  key: Buffer;
  config: Config;
  clock: { now: number };
  connect(opts?: Partial<AmoConnectionDeps>): Promise<AmoConnection>;
  /** The connect routes for `buildApp({ extraRoutes: [(ctx) => h.routes(conn, ctx.requireAdmin)] })`. */
  routes(conn: AmoConnection, requireAdmin: Guard, extra?: Partial<ConnectRoutesDeps>): FastifyPluginAsync;
  /** A fresh OAuth pair issued by the emulator, as a TokenSet. */
  pair(): Promise<TokenSet>;
  close(): Promise<void>;
}

export async function createHarness(
  opts: { emulator?: EmulatorOptions; config?: Partial<Config>; env?: NodeJS.ProcessEnv } = {},
): Promise<Harness> {
  const emu = await startEmulator({ port: 0, rateLimit: false, autoApprove: true, logger: false, ...opts.emulator });
  const tdb = await createTestDb();
  const key = parseSecretKey(generateKey());
  const clock = { now: Date.now() };
  const config = testConfig({ sandbox: false, publicUrl: 'http://localhost:8000', ...opts.config }, opts.env ?? {});
  const oauth = { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri };
  return {
    emu,
    tdb,
    key,
    config,
    clock,
    connect: (o = {}) =>
      createAmoConnection({ config, db: tdb, key, apiBaseUrl: emu.url, oauth, now: () => clock.now, client: { maxRetries: 0, perSecond: 1000 }, ...o }),
    routes: (conn, requireAdmin, extra = {}) =>
      connectRoutes({ conn, key, requireAdmin, sandbox: false, consentBaseUrl: emu.url, ...extra }),
    async pair() {
      return tokenSetFromResponse(await emu.control.issueTokens(), clock.now);
    },
    async close() {
      await emu.close();
      await tdb.cleanup();
    },
  };
}
