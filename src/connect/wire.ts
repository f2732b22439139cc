// Everything the server needs from connect in one call (src/runtime builds it for role `server`): the key, the
// sandbox emulator, THE connection, the routes, the `amocrm` health check, the keep-alive job, the delivery hold, and
// the sandbox's OAuth connect + setup after listen.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppModule } from '../app-module.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AmoCircuitOpenError, AmoConnectionError, AmoServerError, type RateLimitStore } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { DoctorReport } from '../provision/index.js';
import type { Queue } from '../queue/index.js';
import { createAmoConnection, type AmoConnection, type AmoConnectionDeps } from './connection.js';
import { connectDoctor } from './doctor.js';
import { toError } from '../errors.js';
import { KEEP_ALIVE_CRON, keepAlive } from './keep-alive.js';
import { resolveSecretKey, sandboxAdminToken } from './keys.js';
import { connectRoutes } from './routes.js';
import { demoSpec, ensureSandboxConnected, startSandboxEmulator, type Sandbox } from './sandbox.js';
import { runSetup } from './setup.js';
import { amocrmHealthCheck } from './status-view.js';

export interface StartConnectDeps {
  config: Config;
  db: Db;
  logger?: Logger;
  metrics?: Registry;
  /** `new PgRateLimitStore(db.db)`: the 7 rps budget shared by every process. */
  rateLimitStore?: RateLimitStore;
  queue?: Queue;
  queueDepth?: () => Promise<number>;
  now?: () => number;
  /** Connection overrides (tests: the emulator's URL and integration, client knobs). */
  connection?: Partial<Omit<AmoConnectionDeps, 'config' | 'db' | 'key'>>;
  /** How often a held delivery re-reads the connection state (default 30 s). */
  pollMs?: number;
}

export interface ConnectRuntime {
  conn: AmoConnection;
  key: Buffer;
  sandbox: Sandbox | undefined;
  /** Sandbox only, when LEADBRIDGE_ADMIN_TOKEN is unset: the generated admin token (the runtime passes it to buildApp as `adminToken`). */
  generatedAdminToken: string | undefined;
  /** The connection module's routes: `(ctx) => connect.routes(ctx.requireAdmin)`. */
  routes(requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>): FastifyPluginAsync;
  /** The connection's health with the account host and token expiry (the dashboard's overview, behind a session). */
  healthCheck(): Promise<{ ok: boolean; [k: string]: unknown }>;
  /** The same without the account host and token expiry: for the anonymous GET /health (the connection module's `amocrm` check). */
  publicHealthCheck(): Promise<{ ok: boolean; [k: string]: unknown }>;
  doctor(): Promise<DoctorReport>;
  /** Hold deliveries while the connection is not usable (delivery's `deliveryPaused`); polls while held. */
  bindDeliveryPause(target: { deliveryPaused(reason: string | null): void }): void;
  /** After app.listen: schedule the keep-alive; in the sandbox connect through OAuth and run setup. */
  afterListen(appUrl: string): Promise<void>;
  close(): Promise<void>;
}

const INSTALL_PATH = '/api/auth/amo';

export async function startConnect(deps: StartConnectDeps): Promise<ConnectRuntime> {
  const { config, db } = deps;
  const log = deps.logger?.child({ module: 'connect' });
  const key = await resolveSecretKey(db.db, config);
  if (config.sandbox) {
    // Said once, loudly: the sandbox trades secrecy for zero setup (docs/security.md).
    log?.warn(
      { keyStoredInDatabase: !config.secretKey },
      'SANDBOX ONLY, not for production: ' +
        (config.secretKey ? '' : 'the token encryption key is generated and kept in the same database as the tokens it encrypts; ') +
        "the built-in emulator's state file (emulator-state.json in the data directory) holds its tokens in plaintext",
    );
  }
  const sandbox = config.sandbox ? await startSandboxEmulator(config) : undefined;
  const closers: (() => Promise<void>)[] = [];
  if (sandbox) closers.push(() => sandbox.close());
  try {
    const generatedAdminToken = config.sandbox && !config.adminToken ? await sandboxAdminToken(db.db) : undefined;
    const conn = await createAmoConnection({
      config,
      db,
      key,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.rateLimitStore ? { rateLimitStore: deps.rateLimitStore } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(sandbox ? { apiBaseUrl: sandbox.emulator.url, oauth: sandbox.oauth } : {}),
      ...deps.connection,
    });
    const installUrl = `${config.publicUrl}${INSTALL_PATH}`;
    const spec = config.account ?? (sandbox ? demoSpec() : undefined);
    const doctor = () =>
      connectDoctor({ config, db, conn, ...(spec ? { spec } : {}), ...(deps.queueDepth ? { queueDepth: deps.queueDepth } : {}) });
    const timers: NodeJS.Timeout[] = [];
    closers.push(async () => timers.forEach((t) => clearInterval(t)));

    return {
      conn,
      key,
      sandbox,
      generatedAdminToken,
      routes: (requireAdmin) =>
        connectRoutes({
          conn,
          key,
          requireAdmin,
          sandbox: config.sandbox,
          doctor,
          ...(config.amocrm.host ? { configuredHost: config.amocrm.host } : {}),
          ...(sandbox ? { consentBaseUrl: sandbox.emulator.url } : {}),
        }),
      healthCheck: amocrmHealthCheck(conn, { sandbox: config.sandbox, installUrl, ...(sandbox ? { emulatorUrl: sandbox.emulator.url } : {}) }),
      publicHealthCheck: amocrmHealthCheck(conn, { sandbox: config.sandbox, installUrl, public: true, ...(sandbox ? { emulatorUrl: sandbox.emulator.url } : {}) }),
      doctor,
      bindDeliveryPause(target) {
        const apply = (state: string, reason: string | null) =>
          target.deliveryPaused(state === 'connected' ? null : `amocrm_${state}${reason ? `: ${reason}` : ''}`);
        const cur = conn.connectionState();
        apply(cur.state, cur.reason);
        conn.onStateChange((s) => apply(s.state, s.reason));
        // While held nothing calls amoCRM, so nothing re-reads the row: poll it (another process may reconnect).
        const timer = setInterval(() => {
          if (conn.connectionState().state !== 'connected') void conn.status().catch(() => undefined);
        }, deps.pollMs ?? 30_000);
        timer.unref();
        timers.push(timer);
      },
      async afterListen(appUrl) {
        if (deps.queue) {
          await deps.queue.work('amo_keep_alive', async () => {
            const r = await keepAlive(conn);
            if (r.action === 'failed') throw new Error(`keep-alive failed: ${r.error}`);
          });
          await deps.queue.schedule('amo_keep_alive', KEEP_ALIVE_CRON, {});
        }
        if (!sandbox) {
          void keepAlive(conn).catch((e: unknown) => log?.warn({ err: { message: toError(e).message } }, 'startup keep-alive check failed'));
          const s = await conn.status();
          if (s.state !== 'connected') log?.warn({ state: s.state, installUrl }, 'amocrm is not connected: open the install link');
          // Tokens from the environment are "unverified" until amoCRM accepts one call: make that call now.
          else if (!s.verified) {
            void conn.amo.account.get().then(
              () => log?.info('amocrm token from the environment verified (the account answered)'),
              (e: unknown) =>
                // amoCRM not answering is its own (once per change) warning; this one is for a token it refused.
                e instanceof AmoConnectionError || e instanceof AmoServerError || e instanceof AmoCircuitOpenError
                  ? log?.info({ err: { message: toError(e).message } }, 'amocrm token from the environment not verified yet: amoCRM does not answer; the first call that succeeds verifies it')
                  : log?.warn({ err: { message: toError(e).message } }, 'amocrm token from the environment was not accepted: see GET /api/auth/amo/status'),
            );
          }
          return;
        }
        try {
          const how = await ensureSandboxConnected(conn, appUrl);
          const result = await runSetup({ amo: conn.amo, db, config, ...(spec ? { spec } : {}) });
          log?.info(
            { emulatorUrl: sandbox.emulator.url, connected: how, changes: result.changes, problems: result.problems.length },
            'SANDBOX: connected to the built-in amoCRM emulator through OAuth and provisioned the demo account',
          );
        } catch (e) {
          // Keep serving: /health shows the state, /api/auth/amo retries the connection by hand.
          log?.error({ err: { message: toError(e).message }, emulatorUrl: sandbox.emulator.url }, 'SANDBOX: connecting to the built-in emulator failed');
        }
      },
      async close() {
        for (const c of closers.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    throw err;
  }
}

/** The connection as a module of the server: OAuth/status routes, the anonymous `amocrm` check, afterListen. */
export function connectAppModule(connect: ConnectRuntime): AppModule {
  return {
    name: 'connection',
    routes: (ctx) => connect.routes(ctx.requireAdmin),
    health: { amocrm: () => connect.publicHealthCheck() },
    start: (appUrl) => connect.afterListen(appUrl),
  };
}
