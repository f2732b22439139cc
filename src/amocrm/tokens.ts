// Token storage contract. The app implements TokenStore over PostgreSQL (encrypted, with an advisory lock);
// MemoryTokenStore is for tests and scripts.
import { decodeJwtClaims } from './hosts.js';
import type { TokenResponse } from './types.js';

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** epoch ms */
  expiresAt: number;
  kind: 'oauth' | 'long_lived';
}

export interface TokenStore {
  get(): Promise<TokenSet | null>;
  save(tokens: TokenSet): Promise<void>;
  /** Optional cross-process lock around a refresh (the app implements it with a PostgreSQL advisory lock). */
  withRefreshLock?<T>(fn: () => Promise<T>): Promise<T>;
}

export class MemoryTokenStore implements TokenStore {
  private tokens: TokenSet | null;
  constructor(initial: TokenSet | null = null) {
    this.tokens = initial;
  }
  async get(): Promise<TokenSet | null> {
    return this.tokens ? { ...this.tokens } : null;
  }
  async save(tokens: TokenSet): Promise<void> {
    this.tokens = { ...tokens };
  }
}

/** Convert a /oauth2/access_token answer. Prefers the JWT `exp` claim; falls back to `expires_in`. */
export function tokenSetFromResponse(res: TokenResponse, nowMs: number): TokenSet {
  const exp = decodeJwtClaims(res.access_token)?.exp;
  const expiresAt = typeof exp === 'number' ? exp * 1000 : nowMs + res.expires_in * 1000;
  return { accessToken: res.access_token, refreshToken: res.refresh_token, expiresAt, kind: 'oauth' };
}

/**
 * A long-lived token (private integrations, fact sheet §2.8): never refreshed. `expiresAt` defaults to the JWT `exp`
 * (or far in the future when the token carries none).
 */
export function longLivedTokenSet(accessToken: string, expiresAt?: number): TokenSet {
  const exp = decodeJwtClaims(accessToken)?.exp;
  const at = expiresAt ?? (typeof exp === 'number' ? exp * 1000 : Number.MAX_SAFE_INTEGER);
  return { accessToken, refreshToken: null, expiresAt: at, kind: 'long_lived' };
}
