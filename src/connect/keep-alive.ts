// Keep the OAuth pair alive: amoCRM refresh tokens die after 3 months without use (fact sheet §2.6), so a daily job
// rotates the pair when the last refresh is older than a week. Safe from several processes: the SDK refreshes under
// the store's cross-process lock and re-reads first, so a second process finds a fresh pair and does nothing.
import { toError } from '../errors.js';
import type { AmoConnection } from './connection.js';

export const KEEP_ALIVE_AFTER_MS = 7 * 24 * 3600_000;
/** pg-boss cron for the `amo_keep_alive` task (daily, 04:17 UTC). */
export const KEEP_ALIVE_CRON = '17 4 * * *';

export type KeepAliveResult =
  | { action: 'refreshed'; lastRefreshAt: number }
  | { action: 'fresh'; lastRefreshAt: number }
  | { action: 'skipped'; reason: 'not_connected' | 'reconnect_required' | 'disconnected' | 'long_lived' }
  | { action: 'failed'; error: string };

export async function keepAlive(conn: AmoConnection, opts: { afterMs?: number } = {}): Promise<KeepAliveResult> {
  const s = await conn.status();
  if (s.state !== 'connected') return { action: 'skipped', reason: s.state };
  if (s.kind === 'long_lived') {
    const left = (s.expiresAt ?? Infinity) - conn.now();
    if (left < 14 * 24 * 3600_000) {
      conn.logger?.warn({ expiresAt: s.expiresAt }, 'amocrm long-lived token expires soon; create a new one in amoCRM');
    }
    return { action: 'skipped', reason: 'long_lived' };
  }
  const afterMs = opts.afterMs ?? KEEP_ALIVE_AFTER_MS;
  if (conn.now() - (s.lastRefreshAt ?? 0) < afterMs) return { action: 'fresh', lastRefreshAt: s.lastRefreshAt ?? 0 };
  try {
    // Re-check under a keep-alive lock: another process may have rotated the pair a moment ago.
    const fresh = await conn.store.withLock('amo_keep_alive', async () => {
      const cur = await conn.status();
      if (cur.state === 'connected' && conn.now() - (cur.lastRefreshAt ?? 0) < afterMs) return cur.lastRefreshAt ?? 0;
      await conn.amo.refreshTokens();
      return null;
    });
    if (fresh !== null) return { action: 'fresh', lastRefreshAt: fresh };
  } catch (e) {
    const err = toError(e);
    conn.logger?.error({ err: { name: err.name, message: err.message } }, 'amocrm keep-alive refresh failed');
    return { action: 'failed', error: err.message };
  }
  const after = await conn.status();
  conn.logger?.info({ lastRefreshAt: after.lastRefreshAt }, 'amocrm keep-alive refreshed the token pair');
  return { action: 'refreshed', lastRefreshAt: after.lastRefreshAt ?? conn.now() };
}
