// Connect tables: the amoCRM connection (one row per connection key; the app uses 'default'). Tokens are stored
// AES-256-GCM encrypted (src/connect/crypto.ts), never in plaintext; env imports are remembered by hash only.
import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const CONNECTION_STATES = ['connected', 'reconnect_required', 'disconnected'] as const;
export type ConnectionStateName = (typeof CONNECTION_STATES)[number];

export const amoConnections = pgTable('amo_connections', {
  id: text('id').primaryKey(),
  /** `{sub}.amocrm.ru` / `{sub}.kommo.com` / `{sub}.amocrm.com` (from the callback `referer` or AMOCRM_DOMAIN). */
  host: text('host').notNull(),
  accountId: bigint('account_id', { mode: 'number' }),
  kind: text('kind', { enum: ['oauth', 'long_lived'] }).notNull(),
  state: text('state', { enum: CONNECTION_STATES }).notNull().default('connected'),
  stateReason: text('state_reason'),
  /** encryptSecret(...) blobs (`v1:iv:tag:ct`); null once disconnected. */
  accessTokenEnc: text('access_token_enc'),
  refreshTokenEnc: text('refresh_token_enc'),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  /** When the pair was last obtained (code exchange, refresh or import): the keep-alive compares against it. */
  lastRefreshAt: timestamp('last_refresh_at', { withTimezone: true }),
  connectedAt: timestamp('connected_at', { withTimezone: true }).notNull().defaultNow(),
  /** sha256 of the env token that was imported last (AMOCRM_REFRESH_TOKEN / _ACCESS_TOKEN / _LONG_LIVED_TOKEN). */
  envImportHash: text('env_import_hash'),
  /** When amoCRM last accepted these tokens (a code exchange, a refresh or any successful call); null = unverified
   * (imported from the environment and not used yet). */
  verifiedAt: timestamp('verified_at', { withTimezone: true }).defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type AmoConnectionRow = typeof amoConnections.$inferSelect;
