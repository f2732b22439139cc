// Sandbox (issue #3): with no amoCRM credentials, the built-in emulator runs in-process and Leadbridge connects to it
// through the REAL OAuth flow over HTTP (our /api/auth/amo → the emulator's consent page → our callback → code
// exchange), exactly like a production install, then provisions the demo account.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import type { OAuthCredentials } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import { ProvisionSpecSchema, type ProvisionSpec } from '../provision/index.js';
import type { AmoConnection } from './connection.js';
import { defaultRedirectUri } from './connection.js';
import { toError } from '../errors.js';

export interface Sandbox {
  emulator: RunningEmulator;
  /** The emulator integration's credentials (its redirect URI is our callback). */
  oauth: OAuthCredentials;
  close(): Promise<void>;
}

export async function startSandboxEmulator(config: Config, opts: { port?: number; stateFile?: string | false } = {}): Promise<Sandbox> {
  const redirectUri = defaultRedirectUri(config);
  const stateFile = opts.stateFile === false ? undefined : (opts.stateFile ?? join(config.dataDir, 'emulator-state.json'));
  const emulator = await startEmulator({
    port: opts.port ?? config.emulatorPort,
    host: config.emulatorHost ?? '127.0.0.1',
    autoApprove: true,
    redirectUri,
    ...(stateFile ? { stateFile } : {}),
    logger: false,
  });
  return {
    emulator,
    oauth: { clientId: emulator.config.clientId, clientSecret: emulator.config.clientSecret, redirectUri },
    close: () => emulator.close(),
  };
}

/** The Asia Deals preset's `account:` section: what the sandbox provisions when the config has none. */
export function demoSpec(): ProvisionSpec {
  const file = fileURLToPath(new URL('../../presets/asia-deals.yaml', import.meta.url));
  const doc = parse(readFileSync(file, 'utf8')) as { account?: unknown };
  return ProvisionSpecSchema.parse(doc.account ?? {});
}

async function follow(url: string, expect: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual', headers: { accept: 'application/json' } });
  const location = res.headers.get('location');
  await res.body?.cancel();
  if (res.status < 300 || res.status >= 400 || !location) throw new Error(`sandbox OAuth: ${expect} answered ${res.status} without a redirect`);
  return new URL(location, url).toString();
}

/**
 * Connect to the emulator like a user would: GET our install link, follow the consent redirect (auto-approved), call
 * our callback. `appUrl` is where this process listens (the redirect URI may name the public URL).
 */
export async function connectThroughOAuth(appUrl: string): Promise<void> {
  const base = appUrl.replace(/\/+$/, '');
  const consent = await follow(`${base}/api/auth/amo`, 'the install link');
  const callback = new URL(await follow(consent, 'the consent page'));
  const local = new URL(`${base}${callback.pathname}${callback.search}`);
  const res = await fetch(local, { headers: { accept: 'application/json' } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`sandbox OAuth: the callback answered ${res.status}: ${text.slice(0, 300)}`);
}

/** Connected and answering? Otherwise run the OAuth flow (fresh data dir, or emulator state lost). */
export async function ensureSandboxConnected(conn: AmoConnection, appUrl: string): Promise<'already' | 'connected'> {
  if ((await conn.status()).state === 'connected') {
    try {
      await conn.amo.account.get();
      return 'already';
    } catch (e) {
      conn.logger?.info({ err: { message: toError(e).message } }, 'sandbox: stored tokens no longer work; reconnecting');
    }
  }
  await connectThroughOAuth(appUrl);
  return 'connected';
}
