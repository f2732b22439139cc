// The app's TokenStore: one `amo_connections` row, tokens AES-256-GCM encrypted (AAD binds each blob to its row and
// role), a refresh lock that holds across processes, and the connection state (connected / reconnect_required /
// disconnected) that /health, the status routes and the delivery worker read.
//
// Refresh lock (fact sheet §2.6: refresh tokens are single-use): on PostgreSQL `pg_advisory_xact_lock` inside a
// transaction, so exactly one process refreshes and the others re-read the new pair; PGlite is one process and one
// session, so an in-process mutex is enough (and a transaction there would block the store's own reads).
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { AmoReconnectRequiredError, type TokenSet, type TokenStore } from '../amocrm/index.js';
import { amoConnections, appSettings, type AmoConnectionRow, type ConnectionStateName, type Db, withAdvisoryLock } from '../db/index.js';
import { CryptoError, decryptSecret, encryptSecret } from './crypto.js';

export type ConnectionStateView = 'not_connected' | ConnectionStateName;

/** What may be shown about the connection (status routes, /health, doctor): never a token. */
export interface ConnectionStatus {
  state: ConnectionStateView;
  reason: string | null;
  host: string | null;
  subdomain: string | null;
  accountId: number | null;
  kind: TokenSet['kind'] | null;
  /** Access token expiry (epoch ms). */
  expiresAt: number | null;
  lastRefreshAt: number | null;
  /** When the refresh token dies unless used (last refresh + 3 months); null for long-lived tokens. */
  refreshExpiresAt: number | null;
  connectedAt: number | null;
  /**
   * False while the tokens were imported from the environment and amoCRM has not accepted them yet (no refresh,
   * no successful call): the status routes say "unverified" instead of "connected".
   */
  verified: boolean;
}

export type StateListener = (status: ConnectionStatus) => void;

/** amoCRM refresh tokens live 3 months (fact sheet §2.6). */
export const REFRESH_TOKEN_TTL_MS = 90 * 24 * 3600_000;

export interface ConnectInput {
  host: string;
  accountId: number | null;
  tokens: TokenSet;
  /** Remember which env value was imported (hash only). */
  envImportHash?: string;
  /** False for tokens amoCRM has not accepted yet (env import); default true (a code exchange just succeeded). */
  verified?: boolean;
}

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

// One mutex per database and connection, shared by every store instance in this process (two clients on one
// PGlite must not refresh side by side).
const mutexes = new WeakMap<object, Map<string, Mutex>>();
function mutexFor(db: object, id: string): Mutex {
  let byId = mutexes.get(db);
  if (!byId) mutexes.set(db, (byId = new Map()));
  let m = byId.get(id);
  if (!m) byId.set(id, (m = new Mutex()));
  return m;
}

export interface DbTokenStoreOptions {
  handle: Db;
  key: Uint8Array;
  /** Connection key (one row); default 'default'. */
  id?: string;
  now?: () => number;
}

export class DbTokenStore implements TokenStore {
  readonly id: string;
  private readonly handle: Db;
  private readonly key: Uint8Array;
  private readonly now: () => number;
  private readonly listeners = new Set<StateListener>();
  private last: ConnectionStatus = emptyStatus();

  constructor(opts: DbTokenStoreOptions) {
    this.handle = opts.handle;
    this.key = opts.key;
    this.id = opts.id ?? 'default';
    this.now = opts.now ?? Date.now;
  }

  /**
   * Claims a one-time value (an OAuth state) for this connection: true the first time, false ever after, in every
   * process on this database (its hash is inserted into app_settings, on conflict nothing). Claims whose
   * `expiresAt` (epoch ms) has passed are pruned as new ones are made.
   */
  async claimOnce(value: string, expiresAt: number): Promise<boolean> {
    const db = this.handle.db;
    const prefix = `connect.once:${this.id}:`;
    await db.execute(sql`delete from ${appSettings} where starts_with(${appSettings.key}, ${prefix}) and ${appSettings.value}::bigint < ${this.now()}`);
    const key = `${prefix}${createHash('sha256').update(value).digest('base64url')}`;
    const rows = await db.insert(appSettings).values({ key, value: String(expiresAt) }).onConflictDoNothing().returning({ key: appSettings.key });
    return rows.length > 0;
  }

  /** The last state this process saw (cheap, synchronous; refreshed on every read of the row). */
  current(): ConnectionStatus {
    return this.last;
  }

  onStateChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async status(): Promise<ConnectionStatus> {
    return this.observe(await this.row());
  }

  async get(): Promise<TokenSet | null> {
    const row = await this.row();
    this.observe(row);
    if (!row || row.state !== 'connected' || !row.accessTokenEnc) return null;
    let tokens: TokenSet;
    try {
      tokens = {
        accessToken: decryptSecret(row.accessTokenEnc, this.key, this.aad('access')),
        refreshToken: row.refreshTokenEnc ? decryptSecret(row.refreshTokenEnc, this.key, this.aad('refresh')) : null,
        expiresAt: row.expiresAt?.getTime() ?? 0,
        kind: row.kind,
      };
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      // Another LEADBRIDGE_SECRET_KEY than the one the tokens were stored with: only a reconnect helps.
      await this.markReconnectRequired('tokens_unreadable (LEADBRIDGE_SECRET_KEY changed?)');
      return null;
    }
    // A long-lived token past its expiry will never work again: say so now (the SDK refuses to send it).
    if (tokens.kind === 'long_lived' && tokens.expiresAt <= this.now()) await this.markReconnectRequired('long_lived_expired');
    return tokens;
  }

  /** Called by the SDK after a refresh: the new pair is written before anyone uses it. */
  async save(tokens: TokenSet): Promise<void> {
    const now = new Date(this.now());
    const updated = await this.handle.db
      .update(amoConnections)
      .set({
        ...this.encrypted(tokens),
        kind: tokens.kind,
        state: 'connected',
        stateReason: null,
        lastRefreshAt: now,
        verifiedAt: now,
        updatedAt: now,
      })
      // A refresh that finishes after the disable hook must not resurrect the connection.
      .where(sql`${amoConnections.id} = ${this.id} and ${amoConnections.state} <> 'disconnected'`)
      .returning();
    if (updated.length === 0) throw new AmoReconnectRequiredError('no_tokens', 'the connection is gone or disconnected');
    this.observe(updated[0]);
  }

  async withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.withLock('amo_refresh', async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof AmoReconnectRequiredError && e.reason !== 'no_tokens') await this.markReconnectRequired(e.reason);
        throw e;
      }
    });
  }

  /**
   * Runs `fn` while holding the named lock for this connection: in this process (mutex) and, on PostgreSQL, across
   * processes (transaction-scoped advisory lock; `fn` uses other pool connections). Not re-entrant.
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return mutexFor(this.handle.db, `${name}/${this.id}`).run(() => withAdvisoryLock(this.handle, `leadbridge/${name}/${this.id}`, fn));
  }

  /** A new authorization (OAuth callback, token import, env bootstrap): replaces whatever was stored. */
  async connect(input: ConnectInput): Promise<ConnectionStatus> {
    const now = new Date(this.now());
    const values = {
      host: input.host,
      accountId: input.accountId,
      kind: input.tokens.kind,
      state: 'connected' as const,
      stateReason: null,
      ...this.encrypted(input.tokens),
      lastRefreshAt: now,
      connectedAt: now,
      verifiedAt: input.verified === false ? null : now,
      updatedAt: now,
      ...(input.envImportHash !== undefined ? { envImportHash: input.envImportHash } : {}),
    };
    const rows = await this.handle.db
      .insert(amoConnections)
      .values({ id: this.id, ...values })
      .onConflictDoUpdate({ target: amoConnections.id, set: values })
      .returning();
    return this.observe(rows[0]);
  }

  /** amoCRM accepted the tokens (a successful call): an env-imported pair is verified from now on. */
  async markVerified(): Promise<void> {
    if (this.last.verified || this.last.state !== 'connected') return;
    const rows = await this.handle.db
      .update(amoConnections)
      .set({ verifiedAt: new Date(this.now()) })
      .where(sql`${amoConnections.id} = ${this.id} and ${amoConnections.verifiedAt} is null`)
      .returning();
    if (rows[0]) this.observe(rows[0]);
  }

  /** Access is lost (refresh rejected, long-lived token expired or revoked): a human must reconnect. */
  async markReconnectRequired(reason: string): Promise<void> {
    const rows = await this.handle.db
      .update(amoConnections)
      .set({ state: 'reconnect_required', stateReason: reason, updatedAt: new Date(this.now()) })
      .where(sql`${amoConnections.id} = ${this.id} and ${amoConnections.state} = 'connected'`)
      .returning();
    if (rows[0]) this.observe(rows[0]);
  }

  /** The integration was switched off in amoCRM (disable hook): forget the tokens, keep the account identity. */
  async disconnect(reason: string): Promise<void> {
    const rows = await this.handle.db
      .update(amoConnections)
      .set({ state: 'disconnected', stateReason: reason, accessTokenEnc: null, refreshTokenEnc: null, updatedAt: new Date(this.now()) })
      .where(eq(amoConnections.id, this.id))
      .returning();
    if (rows[0]) this.observe(rows[0]);
  }

  async envImportHash(): Promise<string | null> {
    return (await this.row())?.envImportHash ?? null;
  }

  private async row(): Promise<AmoConnectionRow | undefined> {
    const rows = await this.handle.db.select().from(amoConnections).where(eq(amoConnections.id, this.id)).limit(1);
    return rows[0];
  }

  private aad(role: 'access' | 'refresh'): string {
    return `amo_connections/${this.id}/${role}`;
  }

  private encrypted(tokens: TokenSet): { accessTokenEnc: string; refreshTokenEnc: string | null; expiresAt: Date } {
    return {
      accessTokenEnc: encryptSecret(tokens.accessToken, this.key, this.aad('access')),
      refreshTokenEnc: tokens.refreshToken ? encryptSecret(tokens.refreshToken, this.key, this.aad('refresh')) : null,
      // Long-lived tokens without `exp` carry MAX_SAFE_INTEGER: clamp to a date PostgreSQL can hold.
      expiresAt: new Date(Math.min(tokens.expiresAt, Date.UTC(9999, 0, 1))),
    };
  }

  private observe(row: AmoConnectionRow | undefined): ConnectionStatus {
    const next = row ? toStatus(row) : emptyStatus();
    const changed = next.state !== this.last.state || next.reason !== this.last.reason || next.verified !== this.last.verified;
    this.last = next;
    if (changed) for (const l of this.listeners) l(next);
    return next;
  }
}

function emptyStatus(): ConnectionStatus {
  return {
    state: 'not_connected',
    reason: null,
    host: null,
    subdomain: null,
    accountId: null,
    kind: null,
    expiresAt: null,
    lastRefreshAt: null,
    refreshExpiresAt: null,
    connectedAt: null,
    verified: false,
  };
}

function toStatus(row: AmoConnectionRow): ConnectionStatus {
  const lastRefreshAt = row.lastRefreshAt?.getTime() ?? null;
  const dot = row.host.indexOf('.');
  return {
    state: row.state,
    reason: row.stateReason,
    host: row.host,
    subdomain: dot > 0 ? row.host.slice(0, dot) : row.host,
    accountId: row.accountId,
    kind: row.kind,
    expiresAt: row.expiresAt?.getTime() ?? null,
    lastRefreshAt,
    refreshExpiresAt: row.kind === 'oauth' && lastRefreshAt !== null ? lastRefreshAt + REFRESH_TOKEN_TTL_MS : null,
    connectedAt: row.connectedAt.getTime(),
    verified: row.verifiedAt !== null,
  };
}
