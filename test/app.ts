// buildApp for tests that mount a few routes by hand: the app with intake (always) plus the route factories and
// health checks given, the way the tests composed it before the app took modules (src/app-module.ts). The running
// system composes through src/runtime instead.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppModule, RouteContext as AppRouteContext } from '../src/app-module.js';
import type { Config } from '../src/config/index.js';
import type { Db } from '../src/db/index.js';
import { buildApp as buildHttpApp, type HealthCheck } from '../src/http/index.js';
import { createMetricsRegistry } from '../src/metrics.js';
import { createIntake, type CreateIntakeDeps, type LeadIntake } from '../src/intake/index.js';

/** What a hand-mounted route factory receives: the app's context plus the one intake. */
export interface RouteContext extends AppRouteContext {
  intake: LeadIntake;
}

export interface TestAppDeps {
  config: Config;
  db: Db;
  logger?: Logger | false;
  metrics?: Registry;
  healthChecks?: Record<string, HealthCheck>;
  /** Registered after intake, in order. */
  extraRoutes?: ((ctx: RouteContext) => FastifyPluginAsync)[];
  dealView?: CreateIntakeDeps['dealView'];
  routingView?: CreateIntakeDeps['routingView'];
  followupsView?: CreateIntakeDeps['followupsView'];
  onLeadCaptured?: (leadId: string) => void;
  now?: () => number;
}

export async function buildApp(deps: TestAppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetricsRegistry();
  const intake = createIntake({
    config: deps.config,
    db: deps.db,
    metrics,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.onLeadCaptured ? { onLeadCaptured: deps.onLeadCaptured } : {}),
    ...(deps.dealView ? { dealView: deps.dealView } : {}),
    ...(deps.routingView ? { routingView: deps.routingView } : {}),
    ...(deps.followupsView ? { followupsView: deps.followupsView } : {}),
  });
  const modules: AppModule[] = [intake];
  if (deps.healthChecks) modules.push({ name: 'health checks', health: deps.healthChecks });
  for (const [i, routes] of (deps.extraRoutes ?? []).entries()) {
    modules.push({ name: `routes ${i}`, routes: (ctx) => routes({ ...ctx, intake: intake.intake }) });
  }
  return buildHttpApp({ config: deps.config, db: deps.db, metrics, modules, ...(deps.logger !== undefined ? { logger: deps.logger } : {}) });
}
