// THE amoCRM connection of the app: one AmoClient over the encrypted DB token store, the shared rate-limit store,
// the logger and metrics. The account host is only known once someone connects (callback `referer`), so the client
// sends to a fixed virtual origin and a fetch wrapper routes each call to the connected account's host (or the
// sandbox emulator): one long-lived client that follows reconnects to another host.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram } from '../metrics.js';
import {
  AmoClient,
  MemoryRateLimitStore,
  Requester,
  type FetchLike,
  type OAuthCredentials,
  type RateLimitStore,
  type AmoRequestInfo as RequestInfo,
} from '../amocrm/index.js';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../amocrm-emulator/index.js';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { importEnvTokens, type EnvImportResult } from './env-import.js';
import { DbTokenStore, type ConnectionStatus, type StateListener } from './token-store.js';

/** Never resolved: replaced per call by the connected account's origin. */
const VIRTUAL_ORIGIN = 'http://amocrm-account.invalid';
const PLACEHOLDER_HOST = 'account.amocrm.ru';

export interface AmoConnectionDeps {
  config: Config;
  db: Db;
  /** The token encryption key (`resolveSecretKey`). */
  key: Uint8Array;
  logger?: Logger;
  now?: () => number;
  fetch?: FetchLike;
  /** Shared 7 rps budget; `new PgRateLimitStore(db)` in the app. Defaults to an in-process store. */
  rateLimitStore?: RateLimitStore;
  metrics?: Registry;
  onRequest?: (info: RequestInfo) => void;
  /** Send every amoCRM call (API and OAuth) here instead of https://{host}: the sandbox emulator. */
  apiBaseUrl?: string;
  /** Integration credentials; default from config (AMOCRM_CLIENT_ID/SECRET, redirect URI). */
  oauth?: OAuthCredentials;
  /** Connection key (one DB row); default 'default'. */
  id?: string;
  /** Client knobs for tests. */
  client?: { maxRetries?: number; timeoutMs?: number; perSecond?: number };
}

export interface AmoConnection {
  /** THE client: delivery, webhooks, setup and doctor all use this one. */
  amo: AmoClient;
  store: DbTokenStore;
  oauth: OAuthCredentials | undefined;
  /** Origin for the account host (the emulator URL in the sandbox). */
  originFor(host: string): string;
  /** A bare requester (no rate limit, no auth) for OAuth calls outside the client: code exchange, token import. */
  oauthHttp: Requester;
  now: () => number;
  logger: Logger | undefined;
  /** Last known state, synchronously (updated on every token read). */
  connectionState(): ConnectionStatus;
  /** Fresh from the database. */
  status(): Promise<ConnectionStatus>;
  onStateChange(listener: StateListener): () => void;
  /** The connected account's identity (for webhooks' account check), or null when not connected. */
  account(): Promise<{ id?: number; subdomain?: string; host?: string } | null>;
  envImport: EnvImportResult;
}

/** Default redirect URI: our own callback under the public URL (AMOCRM_REDIRECT_URI overrides). */
export function defaultRedirectUri(config: Pick<Config, 'publicUrl'>): string {
  return `${config.publicUrl.replace(/\/+$/, '')}/api/auth/amo/callback`;
}

/** Integration credentials from config; in the sandbox, the built-in emulator's integration. */
export function oauthFromConfig(config: Config): OAuthCredentials | undefined {
  const a = config.amocrm;
  if (config.sandbox) return { clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET, redirectUri: defaultRedirectUri(config) };
  if (!a.clientId || !a.clientSecret) return undefined;
  return { clientId: a.clientId, clientSecret: a.clientSecret, redirectUri: a.redirectUri ?? defaultRedirectUri(config) };
}

function requestMetrics(registry: Registry | undefined): ((info: RequestInfo) => void) | undefined {
  if (!registry) return undefined;
  const total = counter(registry, { name: 'leadbridge_amocrm_requests_total', help: 'amoCRM API attempts by method and status', labelNames: ['method', 'status'] });
  const seconds = histogram(registry, { name: 'leadbridge_amocrm_request_seconds', help: 'amoCRM API attempt latency', labelNames: ['method'] });
  return (info) => {
    total.inc({ method: info.method, status: info.status === null ? 'error' : String(info.status) });
    seconds.observe({ method: info.method }, info.ms / 1000);
  };
}

export async function createAmoConnection(deps: AmoConnectionDeps): Promise<AmoConnection> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger?.child({ module: 'connect' });
  const store = new DbTokenStore({ handle: deps.db, key: deps.key, now, ...(deps.id ? { id: deps.id } : {}) });
  const oauth = deps.oauth ?? oauthFromConfig(config);
  const baseFetch: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init));
  // The sandbox talks to the emulator (in-process in the server, on LEADBRIDGE_EMULATOR_PORT).
  const apiBaseUrl = deps.apiBaseUrl ?? config.amocrm.apiBaseUrl ?? (config.sandbox ? `http://127.0.0.1:${config.emulatorPort}` : undefined);
  const originFor = (host: string): string => (apiBaseUrl ?? `https://${host}`).replace(/\/+$/, '');

  const routed: FetchLike = async (url, init) => {
    if (!url.startsWith(VIRTUAL_ORIGIN)) return baseFetch(url, init);
    const host = store.current().host ?? (await store.status()).host ?? config.amocrm.host;
    if (!host) throw new Error('amoCRM account host unknown: connect the account first');
    return baseFetch(originFor(host) + url.slice(VIRTUAL_ORIGIN.length), init);
  };

  const metricsHook = requestMetrics(deps.metrics);
  // A successful API call verifies tokens imported from the environment (the status says "unverified" until then).
  const onRequest = (info: RequestInfo) => {
    metricsHook?.(info);
    deps.onRequest?.(info);
    if (info.status !== null && info.status >= 200 && info.status < 300 && !store.current().verified) {
      void store.markVerified().catch((e: unknown) => log?.warn({ err: { message: e instanceof Error ? e.message : String(e) } }, 'could not record the verified amoCRM token'));
    }
  };

  const amo = new AmoClient({
    domain: config.amocrm.host ?? PLACEHOLDER_HOST,
    baseUrl: VIRTUAL_ORIGIN,
    tokens: store,
    fetch: routed,
    now,
    // One budget per connection whatever the host: the key must not change when the host is learnt later.
    rateLimit: {
      store: deps.rateLimitStore ?? new MemoryRateLimitStore({ safetyMargin: config.delivery.rateMargin }),
      key: `amocrm:${store.id}`,
      perSecond: deps.client?.perSecond ?? config.delivery.ratePerSecond,
    },
    ...(oauth ? { oauth } : {}),
    ...(log ? { logger: log } : {}),
    onRequest,
    // "Log every amoCRM operation": one info line per call (config `audit.amocrm_calls`, LEADBRIDGE_AUDIT_AMOCRM_CALLS).
    audit: config.audit.amocrmCalls,
    ...(deps.client?.maxRetries !== undefined ? { maxRetries: deps.client.maxRetries } : {}),
    ...(deps.client?.timeoutMs !== undefined ? { timeoutMs: deps.client.timeoutMs } : {}),
  });

  const envImport = await importEnvTokens(store, config.amocrm);
  if (envImport === 'imported') log?.info({ host: config.amocrm.host }, 'amocrm token imported from the environment');
  if (envImport === 'no_host') log?.warn('an amoCRM token is set in the environment but AMOCRM_DOMAIN is not; token ignored');
  const initial = await store.status();
  if (initial.state === 'reconnect_required') log?.error({ reason: initial.reason }, 'amocrm reconnect required');
  store.onStateChange((s) => {
    const fields = { state: s.state, reason: s.reason, host: s.host, accountId: s.accountId };
    if (s.state === 'connected') log?.info(fields, 'amocrm connected');
    else log?.error(fields, 'amocrm connection lost; deliveries are held until reconnect');
  });

  return {
    amo,
    store,
    oauth,
    originFor,
    oauthHttp: new Requester({ fetch: baseFetch, now, maxRetries: 1, audit: config.audit.amocrmCalls, ...(log ? { logger: log } : {}) }),
    now,
    logger: log,
    connectionState: () => store.current(),
    status: () => store.status(),
    onStateChange: (l) => store.onStateChange(l),
    async account() {
      const s = await store.status();
      if (s.state === 'not_connected' || !s.host) return null;
      return { ...(s.accountId !== null ? { id: s.accountId } : {}), ...(s.subdomain ? { subdomain: s.subdomain } : {}), host: s.host };
    },
    envImport,
  };
}
