// Privacy owns the personal data the owner answers for: backup/restore of the embedded database, forgetting a
// person (erasure with anonymous counts kept), retention of raw webhook bodies and spam leads, and the consent
// proof record (the `consents` table, written by intake in the lead's own statement). docs/privacy.md.
import type { CountryCode } from 'libphonenumber-js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { dumpPglite } from './backup.js';
import { forgetPerson, type ForgetRequest, type ForgetResult } from './forget.js';
import { createRetention, type Retention, type RetentionDeps, type RetentionSettings } from './retention.js';
import { privacyRoutes } from './routes.js';
import type { AppModule } from '../app-module.js';

export { dumpPglite, restorePglite, verifyArchive } from './backup.js';
export { forgetPerson, PrivacyError } from './forget.js';
export type { ForgetRequest, ForgetResult } from './forget.js';
export { createRetention } from './retention.js';
export type { Retention } from './retention.js';

export interface PrivacyDeps {
  db: Db;
  account: string;
  defaultCountry: CountryCode;
  retention: RetentionSettings;
  logger?: RetentionDeps['logger'];
  now?: () => number;
}

export interface Privacy {
  retention: Retention;
  /** Erase a person's personal data (the admin API and `leadbridge forget`). */
  forget(req: ForgetRequest): Promise<ForgetResult>;
  routes(ctx: { requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void> }): FastifyPluginAsync;
}

export function createPrivacy(deps: PrivacyDeps): Privacy {
  const now = deps.now ?? Date.now;
  const retention = createRetention({ db: deps.db.db, settings: deps.retention, now, ...(deps.logger ? { logger: deps.logger } : {}) });
  const forget = (req: ForgetRequest) =>
    forgetPerson({ db: deps.db.db, defaultCountry: deps.defaultCountry, account: deps.account, now: () => new Date(now()) }, req);
  return {
    retention,
    forget,
    routes: (ctx) =>
      privacyRoutes({
        requireAdmin: ctx.requireAdmin,
        backup: () => dumpPglite(deps.db),
        forget,
        now: () => new Date(now()),
      }),
  };
}

/** Privacy as a module of the server: backup and forget (admin API); the retention sweep once listening. */
export function privacyAppModule(p: Privacy): AppModule {
  return { name: 'privacy', routes: (ctx) => p.routes(ctx), start: async () => p.retention.start() };
}
