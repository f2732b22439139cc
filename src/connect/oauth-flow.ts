// The OAuth steps behind the routes (fact sheet §2): the install link with a signed, expiring `state`; the callback
// (state check, `referer` → account host, code exchange, encrypted store); importing a refresh token by hand; the
// signed integration-disable hook.
import {
  AmoApiError,
  AmoReconnectRequiredError,
  buildAuthorizeUrl,
  decodeJwtClaims,
  exchangeCode,
  refreshTokens,
  tryParseAccountHost,
  type AccountHost,
  type TokenSet,
} from '../amocrm/index.js';
import type { AmoConnection } from './connection.js';
import { signState, verifyDisableHookSignature, verifyState } from './crypto.js';
import { ConnectError } from './errors.js';
import type { ConnectionStatus } from './token-store.js';

/** How long an install link stays valid (the auth code itself lives 20 min). */
export const STATE_TTL_MS = 15 * 60_000;

export interface FlowDeps {
  conn: AmoConnection;
  /** Token encryption key; the state signing key is derived from it. */
  key: Uint8Array;
  /** AMOCRM_DOMAIN / AMOCRM_SUBDOMAIN, when configured: callbacks from another account are refused. */
  configuredHost?: string;
  /** The consent page origin (the emulator in the sandbox); default www.amocrm.ru / www.kommo.com. */
  consentBaseUrl?: string;
}

function requireOAuth(deps: FlowDeps) {
  const oauth = deps.conn.oauth;
  if (!oauth) {
    // 409 (not 503): the app's error handler passes 4xx messages through, and this one tells the operator what to set.
    throw new ConnectError(
      'NOT_CONFIGURED',
      409,
      'OAuth is not configured: set AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET (and AMOCRM_REDIRECT_URI) from the amoCRM integration',
    );
  }
  return oauth;
}

/** The amoCRM consent page URL with a fresh signed state. */
export function authorizeUrl(deps: FlowDeps, opts: { mode?: 'popup' | 'post_message' } = {}): string {
  const oauth = requireOAuth(deps);
  const host = tryParseAccountHost(deps.configuredHost ?? deps.conn.connectionState().host ?? '');
  return buildAuthorizeUrl({
    clientId: oauth.clientId,
    state: signState({ purpose: 'amo_connect' }, deps.key, STATE_TTL_MS, deps.conn.now()),
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(host ? { host } : {}),
    ...(deps.consentBaseUrl ? { baseUrl: deps.consentBaseUrl } : {}),
  });
}

export interface CallbackQuery {
  code?: string;
  state?: string;
  referer?: string;
  error?: string;
}

/** A state is single-use, across restarts and instances (claimed in the database the first time it is presented). */
async function consumeState(deps: FlowDeps, state: string, expiresAt: number): Promise<void> {
  if (!(await deps.conn.store.claimOnce(state, expiresAt))) {
    throw new ConnectError('STATE_USED', 400, 'this install link was already used: open the install link again');
  }
}

/** `consume`: the callback carries a code, so the state is spent (a denial only reads it: nothing is granted). */
async function checkState(deps: FlowDeps, state: string | undefined, consume: boolean): Promise<void> {
  if (!state) throw new ConnectError('STATE_INVALID', 400, 'the callback has no state: start again from the install link');
  const check = verifyState(state, deps.key, deps.conn.now());
  if (check.ok && check.payload.purpose === 'amo_connect') return consume ? consumeState(deps, state, check.expiresAt) : undefined;
  if (!check.ok && check.reason === 'expired') {
    throw new ConnectError('STATE_EXPIRED', 400, 'the install link has expired: open it again and approve within 15 minutes');
  }
  throw new ConnectError('STATE_INVALID', 400, 'the callback state is not one Leadbridge issued (tampered or foreign link): start again from the install link');
}

/** The account host from `referer`, refusing anything that is not an amoCRM/Kommo account or not OUR account. */
async function checkReferer(deps: FlowDeps, referer: string | undefined): Promise<AccountHost> {
  const host = referer ? tryParseAccountHost(referer) : null;
  if (!host) {
    throw new ConnectError('REFERER_INVALID', 400, 'the callback does not name an amoCRM account (referer must be like example.amocrm.ru or example.kommo.com)');
  }
  const pinned = deps.configuredHost ? tryParseAccountHost(deps.configuredHost) : null;
  // The whole host is compared: demo.kommo.com is another account than demo.amocrm.ru.
  if (pinned && pinned.host !== host.host) {
    throw new ConnectError(
      'ACCOUNT_MISMATCH',
      409,
      `this Leadbridge is configured for ${pinned.host} (AMOCRM_DOMAIN) but the approval came from ${host.host}: log in to the right account, or change AMOCRM_DOMAIN`,
    );
  }
  // Unpinned: the first approval decides the account; switching to another one needs AMOCRM_DOMAIN, so a stranger
  // cannot point this Leadbridge at their own account through the (public) install link.
  const current = await deps.conn.status();
  const currentHost = current.state !== 'not_connected' && current.host ? tryParseAccountHost(current.host) : null;
  if (!pinned && currentHost && currentHost.host !== host.host) {
    throw new ConnectError(
      'ACCOUNT_MISMATCH',
      409,
      `this Leadbridge is connected to ${currentHost.host}, the approval came from ${host.host}: to switch accounts set AMOCRM_DOMAIN=${host.host} and open the install link again`,
    );
  }
  return host;
}

function exchangeFailure(e: unknown): ConnectError {
  if (e instanceof AmoApiError) {
    const hint = e.problem?.hint ?? e.problem?.detail ?? '';
    const redirect = /redirect/i.test(hint) ? ' Check that AMOCRM_REDIRECT_URI is exactly the redirect URI of the integration.' : '';
    return new ConnectError('CODE_EXCHANGE_FAILED', 400, `amoCRM refused the authorization code (${e.status}${hint ? `: ${hint}` : ''}).${redirect} Open the install link again.`, { cause: e });
  }
  return new ConnectError('CODE_EXCHANGE_FAILED', 502, 'amoCRM could not be reached to exchange the authorization code: try the install link again', { cause: e });
}

function accountIdOf(tokens: TokenSet): number | null {
  const id = decodeJwtClaims(tokens.accessToken)?.account_id;
  return typeof id === 'number' ? id : null;
}

/** GET callback with a code: verify, exchange, store. Returns the new status. */
export async function completeCallback(deps: FlowDeps, q: CallbackQuery): Promise<ConnectionStatus> {
  if (q.error) {
    await checkState(deps, q.state, false);
    throw new ConnectError('ACCESS_DENIED', 400, 'access was not granted in amoCRM (the request was declined): open the install link again and press "Allow"');
  }
  if (!q.code) {
    await checkState(deps, q.state, false);
    throw new ConnectError('CODE_MISSING', 400, 'the callback has no authorization code');
  }
  await checkState(deps, q.state, true);
  const host = await checkReferer(deps, q.referer);
  const oauth = requireOAuth(deps);
  let tokens: TokenSet;
  try {
    tokens = await exchangeCode({ http: deps.conn.oauthHttp, baseUrl: deps.conn.originFor(host.host), now: deps.conn.now }, oauth, q.code);
  } catch (e) {
    throw exchangeFailure(e);
  }
  return deps.conn.store.connect({ host: host.host, accountId: accountIdOf(tokens), tokens });
}

/**
 * POST {refresh_token} (admin): import a refresh token obtained elsewhere. It is rotated at once, which proves it
 * works and leaves only the new pair alive.
 */
export async function importRefreshToken(deps: FlowDeps, input: { refreshToken: string; domain?: string }): Promise<ConnectionStatus> {
  const oauth = requireOAuth(deps);
  const hostText = input.domain ?? deps.configuredHost ?? deps.conn.connectionState().host ?? (await deps.conn.status()).host;
  const host = hostText ? tryParseAccountHost(hostText, { defaultTld: 'amocrm.ru' }) : null;
  if (!host) throw new ConnectError('HOST_UNKNOWN', 400, 'the account is unknown: send `domain` (example.amocrm.ru) with the token or set AMOCRM_DOMAIN');
  let tokens: TokenSet;
  try {
    tokens = await refreshTokens({ http: deps.conn.oauthHttp, baseUrl: deps.conn.originFor(host.host), now: deps.conn.now }, oauth, input.refreshToken);
  } catch (e) {
    const hint = e instanceof AmoReconnectRequiredError ? (e.hint ?? 'rejected') : 'amoCRM could not be reached';
    throw new ConnectError('TOKEN_REJECTED', 400, `amoCRM did not accept the refresh token (${hint}); nothing was changed`, { cause: e });
  }
  return deps.conn.store.connect({ host: host.host, accountId: accountIdOf(tokens), tokens });
}

export interface DisableHookQuery {
  client_uuid?: string;
  account_id?: string;
  signature?: string;
}

/** amoCRM's integration-disable hook (fact sheet §2.10). Bad or missing signature → 401, nothing changes. */
export async function handleDisableHook(deps: FlowDeps, q: DisableHookQuery): Promise<{ disconnected: boolean }> {
  const oauth = requireOAuth(deps);
  const ok =
    typeof q.client_uuid === 'string' &&
    typeof q.account_id === 'string' &&
    typeof q.signature === 'string' &&
    q.client_uuid === oauth.clientId &&
    verifyDisableHookSignature({ clientId: q.client_uuid, accountId: q.account_id, signature: q.signature }, oauth.clientSecret);
  if (!ok) throw new ConnectError('SIGNATURE_INVALID', 401, 'the disable hook signature is not valid');
  const status = await deps.conn.status();
  // A validly signed hook for another account using the same integration is not about us.
  if (status.accountId !== null && String(status.accountId) !== q.account_id) return { disconnected: false };
  if (status.state === 'not_connected') return { disconnected: false };
  await deps.conn.store.disconnect('integration_disabled');
  return { disconnected: true };
}
