// Dashboard tables (src/dashboard owns them): users with argon2id password hashes, sessions (only the sha256 of
// the cookie token is stored) and failed sign-in attempts for the login rate limit.
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const DASHBOARD_ROLES = ['admin', 'viewer'] as const;
export type DashboardRole = (typeof DASHBOARD_ROLES)[number];

export const dashboardUsers = pgTable('dashboard_users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Lower-cased; unique. */
  email: text('email').notNull().unique(),
  /** argon2id PHC string (`$argon2id$v=19$m=…`). */
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: DASHBOARD_ROLES }).notNull().default('viewer'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const dashboardSessions = pgTable(
  'dashboard_sessions',
  {
    /** sha256 (hex) of the cookie token: a leaked table cannot be replayed as cookies. */
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => dashboardUsers.id, { onDelete: 'cascade' }),
    /** Sent back in `x-csrf-token` on every state-changing call. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('dashboard_sessions_user_idx').on(t.userId)],
);

/** One row per failed sign-in, keyed `email:<sha256>` and `ip:<ip>`; old rows are pruned on the next failure. */
export const dashboardLoginFailures = pgTable(
  'dashboard_login_failures',
  {
    key: text('key').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('dashboard_login_failures_key_at_idx').on(t.key, t.at)],
);

export type DashboardUserRow = typeof dashboardUsers.$inferSelect;
export type DashboardSessionRow = typeof dashboardSessions.$inferSelect;
