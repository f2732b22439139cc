// OAuth 2.0 against amoCRM (fact sheet §2). The token endpoint lives on the account host (or the emulator's
// baseUrl); the consent page on www.amocrm.ru / www.kommo.com. redirect_uri must match exactly on BOTH grants.
import { AmoAuthError, AmoReconnectRequiredError, AmoValidationError } from './errors.js';
import { consentHost, type AccountHost } from './hosts.js';
import type { AmoHttp, RequestOptions } from './request.js';
import { tokenSetFromResponse, type TokenSet } from './tokens.js';
import type { AccountSubdomainInfo, TokenResponse } from './types.js';

export interface OAuthCredentials {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface AuthorizeUrlInput {
  clientId: string;
  state?: string;
  mode?: 'popup' | 'post_message';
  /** Account host (decides www.amocrm.ru vs www.kommo.com); ignored when `baseUrl` is set. */
  host?: AccountHost;
  /** Emulator override: `${baseUrl}/oauth`. */
  baseUrl?: string;
}

export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  const origin = input.baseUrl
    ? input.baseUrl.replace(/\/+$/, '')
    : `https://${input.host ? consentHost(input.host) : 'www.amocrm.ru'}`;
  const url = new URL(`${origin}/oauth`);
  url.searchParams.set('client_id', input.clientId);
  if (input.state !== undefined) url.searchParams.set('state', input.state);
  if (input.mode) url.searchParams.set('mode', input.mode);
  return url.toString();
}

export interface OAuthCallContext {
  http: AmoHttp;
  /** Account origin (`https://sub.amocrm.ru`) or the emulator URL. */
  baseUrl: string;
  now: () => number;
  opts?: RequestOptions;
}

/** POST /oauth2/access_token for either grant; redirect_uri is sent on both, exactly as registered (§2.4–2.5). */
async function requestTokens(
  ctx: OAuthCallContext,
  creds: OAuthCredentials,
  grant: { grant_type: 'authorization_code'; code: string } | { grant_type: 'refresh_token'; refresh_token: string },
): Promise<TokenSet> {
  const res = await ctx.http.send<TokenResponse>({
    method: 'POST',
    url: `${trimBase(ctx.baseUrl)}/oauth2/access_token`,
    body: { client_id: creds.clientId, client_secret: creds.clientSecret, ...grant, redirect_uri: creds.redirectUri },
    ...(ctx.opts ? { opts: ctx.opts } : {}),
  });
  return tokenSetFromResponse(requireTokenResponse(res.data), ctx.now());
}

/** Exchange an authorization code (single use, valid 20 min). */
export function exchangeCode(ctx: OAuthCallContext, creds: OAuthCredentials, code: string): Promise<TokenSet> {
  return requestTokens(ctx, creds, { grant_type: 'authorization_code', code });
}

/**
 * Rotate the pair. A 400/401 (revoked, expired or already spent refresh token) becomes AmoReconnectRequiredError;
 * other failures (5xx, network, 403 block) are thrown as they are, since the pair may still be good.
 */
export async function refreshTokens(ctx: OAuthCallContext, creds: OAuthCredentials, refreshToken: string): Promise<TokenSet> {
  try {
    return await requestTokens(ctx, creds, { grant_type: 'refresh_token', refresh_token: refreshToken });
  } catch (e) {
    if (e instanceof AmoAuthError || e instanceof AmoValidationError) {
      throw new AmoReconnectRequiredError('refresh_rejected', e.problem?.hint ?? e.problem?.detail, { cause: e });
    }
    throw e;
  }
}

/**
 * Current account host by refresh token (fact sheet §2.9): GET {apiDomainOrigin}/oauth2/account/current/subdomain
 * with `X-Refresh-Token`. Use `apiDomainOrigin(decodeJwtClaims(accessToken).api_domain)` for the origin.
 */
export async function getAccountDomainByRefreshToken(
  ctx: Omit<OAuthCallContext, 'now'>,
  refreshToken: string,
): Promise<AccountSubdomainInfo> {
  const res = await ctx.http.send<AccountSubdomainInfo>({
    method: 'GET',
    url: `${trimBase(ctx.baseUrl)}/oauth2/account/current/subdomain`,
    headers: { 'x-refresh-token': refreshToken },
    ...(ctx.opts ? { opts: ctx.opts } : {}),
  });
  if (!res.data || typeof res.data.subdomain !== 'string') throw new TypeError('amoCRM subdomain response is empty');
  return res.data;
}

function requireTokenResponse(data: TokenResponse | null): TokenResponse {
  if (!data || typeof data.access_token !== 'string' || typeof data.refresh_token !== 'string') {
    throw new TypeError('amoCRM token response is missing access_token/refresh_token');
  }
  return data;
}

function trimBase(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}
