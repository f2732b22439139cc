// The dashboard: users and sessions (this folder), the analytics read API (src/analytics) and the built front end
// (web/ → dist/web), all on the app's own origin. createDashboard() is the one factory main.ts wires.
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/index.js';
import { analyticsRoutes, createCatalog, createDealRollup, type CatalogSource, type DealRollup } from '../analytics/index.js';
import { replayLeads } from '../delivery/index.js';
import { getLead } from '../intake/index.js';
import { dashboardRoutes } from './routes.js';
import { createSessionGuard } from './session.js';
import { registerUi, WEB_DIST } from './ui.js';
import { ensureFirstAdmin, type FirstAdminResult } from './users.js';
import type { AppModule } from '../app-module.js';

export { addUser, resetPassword, listUsers, ensureFirstAdmin, DashboardUserError, normaliseEmail } from './users.js';
export { generatePassword } from './passwords.js';
export type { FirstAdminResult } from './users.js';
export { registerUi, WEB_DIST, CSP } from './ui.js';
export { amoCatalogSource } from './amo-catalog.js';

export interface DashboardDeps {
  db: Database;
  /** amoCRM account key (`'default'` today). */
  account: string;
  publicUrl?: string;
  sandbox: boolean;
  /** LEADBRIDGE_ADMIN_EMAIL / LEADBRIDGE_ADMIN_PASSWORD: the first admin. */
  adminEmail?: string | undefined;
  adminPassword?: string | undefined;
  /** Config key of the commission deal field. */
  commissionKey?: string;
  /** Pipelines and users from amoCRM (names for ids). */
  catalogSource?: CatalogSource;
  health?: () => Promise<Record<string, unknown>>;
  followups?: (range: { fromMs: number; toMs: number }) => Promise<{ sent: number; failed: number }>;
  /** The lead's stored routing decision (src/routing `view`), shown on the lead page. */
  routingView?: (leadId: string) => Promise<unknown>;
  /** The lead's follow-up enrolments with their steps (src/followups), shown on the lead page. */
  followupsView?: (leadId: string) => Promise<unknown[]>;
  /** Warnings of the deal rollup's consumer (a failed batch is retried). */
  logger?: { warn(obj: object, msg: string): void };
  /** Wakes the delivery worker after a replay. */
  onReplayed?: () => void;
  /** Where the built front end is (default dist/web). */
  webDir?: string;
  now?: () => number;
}

export interface Dashboard {
  routes(): FastifyPluginAsync;
  /** Creates the first admin when no user exists (generated password in the sandbox). */
  start(): Promise<FirstAdminResult | undefined>;
  /** The deal rollup the funnel and managers pages read (start it after migrations; stop before the database). */
  rollup: DealRollup;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createDashboard(deps: DashboardDeps): Dashboard {
  const now = deps.now ?? Date.now;
  const catalog = createCatalog(deps.catalogSource, now);
  const session = { db: deps.db, now, ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) };
  const guard = createSessionGuard(session);
  const replay = async (id: string, by: string) => {
    if (!UUID.test(id)) return 'not_found' as const;
    const done = await replayLeads(deps.db, { id: id.toLowerCase() }, new Date(now()), by);
    if (done.length > 0) {
      deps.onReplayed?.();
      return 'replayed' as const;
    }
    return (await getLead(deps.db, id.toLowerCase())) ? ('not_replayable' as const) : ('not_found' as const);
  };
  const rollup = createDealRollup({ db: deps.db, commissionKey: deps.commissionKey ?? 'commission', ...(deps.logger ? { logger: deps.logger } : {}) });
  return {
    rollup,
    routes: () => async (app) => {
      await app.register(dashboardRoutes({ ...session, replay }));
      await app.register(
        analyticsRoutes({
          db: deps.db,
          guard: guard(),
          canSeePersonal: (req) => req.dashboardUser?.role === 'admin',
          catalog,
          commissionKey: deps.commissionKey ?? 'commission',
          ...(deps.health ? { health: deps.health } : {}),
          ...(deps.followups ? { followups: deps.followups } : {}),
          ...(deps.routingView ? { routingView: deps.routingView } : {}),
          ...(deps.followupsView ? { followupsView: deps.followupsView } : {}),
          now,
        }),
      );
      await registerUi(app, deps.webDir ?? WEB_DIST);
    },
    start: () => ensureFirstAdmin(deps.db, { email: deps.adminEmail, password: deps.adminPassword, sandbox: deps.sandbox }),
  };
}

/** The dashboard as a module of the server: its API and the built front end. */
export function dashboardAppModule(d: Dashboard): AppModule {
  return { name: 'dashboard', routes: () => d.routes() };
}
