// Bootstrap from the environment (the seed guides' AMOCRM_REFRESH_TOKEN / AMOCRM_ACCESS_TOKEN, or a long-lived token):
// imported ONCE into the encrypted store, then rotated there. Only a hash of the imported value is remembered, so a
// restart with the same (by now spent) env value does not overwrite the rotated pair.
import { createHash } from 'node:crypto';
import { decodeJwtClaims, longLivedTokenSet, type TokenSet } from '../amocrm/index.js';
import type { AmoCrmConfig } from '../config/index.js';
import type { DbTokenStore } from './token-store.js';

export type EnvImportResult = 'none' | 'imported' | 'already_imported' | 'no_host';

export interface EnvTokens {
  tokens: TokenSet;
  hash: string;
}

const hashOf = (parts: string[]): string => createHash('sha256').update(['leadbridge-env-import/v1', ...parts].join('\n')).digest('hex');

/**
 * The token set the env describes, if any. Precedence: long-lived token, then refresh token (with the access token
 * when given), then an access token alone (it cannot be refreshed, so it is treated like a long-lived token).
 */
export function envTokens(amo: AmoCrmConfig): EnvTokens | null {
  if (amo.longLivedToken) {
    return { tokens: longLivedTokenSet(amo.longLivedToken), hash: hashOf(['long_lived', amo.longLivedToken]) };
  }
  if (amo.refreshToken) {
    const exp = amo.accessToken ? decodeJwtClaims(amo.accessToken)?.exp : undefined;
    const tokens: TokenSet = {
      // Without an access token the pair is "expired": the first call refreshes it.
      accessToken: amo.accessToken ?? '',
      refreshToken: amo.refreshToken,
      expiresAt: typeof exp === 'number' ? exp * 1000 : 0,
      kind: 'oauth',
    };
    return { tokens, hash: hashOf(['oauth', amo.refreshToken, amo.accessToken ?? '']) };
  }
  if (amo.accessToken) {
    return { tokens: longLivedTokenSet(amo.accessToken), hash: hashOf(['access', amo.accessToken]) };
  }
  return null;
}

/**
 * Imports the env pair unless this very value was imported before. Checked and written under the refresh lock: two
 * instances starting at once must not both import, or the slower one overwrites the pair the faster one has already
 * rotated with the spent env value, and its next refresh is refused as revoked (two replicas started together).
 */
export async function importEnvTokens(store: DbTokenStore, amo: AmoCrmConfig): Promise<EnvImportResult> {
  const env = envTokens(amo);
  if (!env) return 'none';
  if (!amo.host) return (await store.envImportHash()) === env.hash ? 'already_imported' : 'no_host';
  const host = amo.host;
  return store.withLock('amo_refresh', async () => {
    if ((await store.envImportHash()) === env.hash) return 'already_imported';
    const claims = decodeJwtClaims(env.tokens.accessToken);
    await store.connect({
      host,
      accountId: typeof claims?.account_id === 'number' ? claims.account_id : null,
      tokens: env.tokens,
      envImportHash: env.hash,
      // Nothing has checked the value yet: "unverified" until amoCRM accepts it (a refresh or any successful call).
      verified: false,
    });
    return 'imported';
  });
}
