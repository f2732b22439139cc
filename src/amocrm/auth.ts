// Access-token supply for the client. Refresh rules (fact sheet §2.6): refresh tokens rotate and are single-use, so
// refresh is single-flight per client, runs inside the store's cross-process lock, re-reads the store first (another
// process may already have rotated the pair) and persists the new pair BEFORE anyone uses it.
import { AmoReconnectRequiredError } from './errors.js';
import { exchangeCode, refreshTokens, type OAuthCallContext, type OAuthCredentials } from './oauth.js';
import type { AmoLogger } from './request.js';
import type { TokenSet, TokenStore } from './tokens.js';

/** Refresh proactively when the access token expires within this window. */
export const REFRESH_SKEW_MS = 60_000;

export class TokenManager {
  private inflight: Promise<TokenSet> | null = null;

  constructor(
    private readonly store: TokenStore,
    private readonly creds: OAuthCredentials | undefined,
    private readonly ctx: OAuthCallContext,
    private readonly logger?: AmoLogger,
  ) {}

  /** Rotate the pair now (keep-alive), unless another process rotated it a moment ago. */
  async forceRefresh(): Promise<TokenSet> {
    const t = await this.store.get();
    if (!t) throw new AmoReconnectRequiredError('no_tokens');
    return this.refresh(t.accessToken);
  }

  /** The token to send now; refreshes first when it is about to expire. */
  async accessToken(): Promise<string> {
    const t = await this.store.get();
    if (!t) throw new AmoReconnectRequiredError('no_tokens');
    if (t.kind === 'long_lived') {
      if (t.expiresAt <= this.ctx.now()) throw new AmoReconnectRequiredError('long_lived_expired');
      return t.accessToken;
    }
    if (t.expiresAt - this.ctx.now() > REFRESH_SKEW_MS) return t.accessToken;
    return (await this.refresh(t.accessToken)).accessToken;
  }

  /**
   * Refresh because `seenAccessToken` is expiring or was rejected with 401. Concurrent callers share one promise.
   * Throws AmoReconnectRequiredError when the pair cannot be refreshed (long-lived, revoked, missing).
   */
  refresh(seenAccessToken: string): Promise<TokenSet> {
    if (!this.inflight) {
      this.inflight = this.refreshLocked(seenAccessToken).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** Code exchange (OAuth callback): saves the new pair and returns it. */
  async exchange(code: string): Promise<TokenSet> {
    if (!this.creds) throw new AmoReconnectRequiredError('no_oauth_credentials');
    const tokens = await exchangeCode(this.ctx, this.creds, code);
    await this.store.save(tokens);
    return tokens;
  }

  private async refreshLocked(seen: string): Promise<TokenSet> {
    const run = async (): Promise<TokenSet> => {
      const cur = await this.store.get();
      if (!cur) throw new AmoReconnectRequiredError('no_tokens');
      if (cur.kind === 'long_lived') throw new AmoReconnectRequiredError('long_lived_rejected');
      // Another process (or an earlier refresh) already rotated the pair: use it.
      if (cur.accessToken !== seen && cur.expiresAt - this.ctx.now() > REFRESH_SKEW_MS) return cur;
      if (!cur.refreshToken) throw new AmoReconnectRequiredError('no_refresh_token');
      if (!this.creds) throw new AmoReconnectRequiredError('no_oauth_credentials');
      const next = await refreshTokens(this.ctx, this.creds, cur.refreshToken);
      await this.store.save(next); // write before use: the old refresh token is already dead
      this.logger?.info({ expiresAt: next.expiresAt }, 'amocrm tokens refreshed');
      return next;
    };
    return this.store.withRefreshLock ? this.store.withRefreshLock(run) : run();
  }
}
