// buildApp(deps): the Fastify app without listen() (tests use inject()). It names no domain: it mounts the modules it
// is given (src/app-module.ts; runtime/ builds them, intake included) — their routes and their health checks.
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import qs from 'qs';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { AppModule, RouteContext } from '../app-module.js';
import { createAdminGuard, createTokenGuard } from './auth.js';
import { healthRoutes, type HealthCheck } from './health.js';
import { createMetricsRegistry } from '../metrics.js';
import { instrumentHttp, metricsRoutes } from './metrics.js';
import { OPENAPI_INFO, openapiTransform } from './openapi.js';
import { clientErrorHandler, errorHandler, HttpProblem, notFoundHandler, problemOnSend } from './problem.js';
import { corsAllowed, securityHeaders } from './security.js';

export type AdminGuard = ReturnType<typeof createAdminGuard>;

export type { RouteContext };

export interface AppDeps {
  config: Config;
  db: Db;
  /** The root pino logger (main.ts); omitted/false = silent (tests). */
  logger?: Logger | false;
  /** Shared Prometheus registry; a new one when omitted. */
  metrics?: Registry;
  /**
   * What the app serves: each module's routes (in this order) and health checks. The app itself adds only what
   * every module shares: OpenAPI (/docs), CORS, rate limits, problem+json errors, GET /health and GET /metrics.
   */
  modules: AppModule[];
  /** The admin token (default config.adminToken; the sandbox passes its generated one). */
  adminToken?: string;
}

function corsOrigin(origins: string[]): string | string[] | boolean {
  if (origins.includes('*')) return '*';
  return origins.length > 0 ? origins : false;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const logger = deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false as const };
  const app = Fastify({
    ...logger,
    bodyLimit: config.intake.bodyLimitBytes,
    trustProxy: config.intake.trustProxy,
    // Our own ids only (a caller-supplied id would be arbitrary text in our logs); echoed as x-request-id.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    routerOptions: { ignoreTrailingSlash: false },
    // One line per request (below) instead of Fastify's two ("incoming request" + "request completed").
    logController: new LogController({ disableRequestLogging: true }),
    // Requests Node's parser refuses (400/414/431/408) are answered as problem+json too.
    clientErrorHandler,
    // A URL Fastify cannot decode (FST_ERR_BAD_URL) goes through the same handler instead of Fastify's JSON.
    frameworkErrors: (err, req, reply) => {
      errorHandler(err, req, reply);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', String(req.id));
  });
  app.addHook('onSend', problemOnSend);
  app.addHook('onSend', securityHeaders(config.publicUrl));
  if (deps.logger) {
    // The route pattern, not the URL: paths can carry secrets (webhook URLs) and queries personal data.
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      req.log.info({ method: req.method, route, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
    });
  }

  const metrics = deps.metrics ?? createMetricsRegistry();
  instrumentHttp(app, metrics);
  const adminToken = deps.adminToken ?? config.adminToken;
  const requireAdmin = createAdminGuard(adminToken);

  await app.register(formbody, {
    // Nested keys (extra[direction]=…, consent[given]=on) the way PHP/landing builders send them.
    parser: (body: string) => qs.parse(body, { depth: 5, arrayLimit: 100, parameterLimit: 500 }),
  });
  // Cross-origin only where it is meant to be (intake, widget, forms): never admin, dashboard or analytics.
  const origin = corsOrigin(config.cors.origins);
  await app.register(cors, {
    delegator: (req, cb) => cb(null, { origin: corsAllowed(req.method ?? 'GET', req.url ?? '') ? origin : false, methods: ['GET', 'POST', 'OPTIONS'] }),
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      new HttpProblem(429, 'RATE_LIMITED', `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`, undefined, {
        'retry-after': String(Math.ceil(ctx.ttl / 1000)),
      }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: OPENAPI_INFO,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' }, cookieAuth: { type: 'apiKey', in: 'cookie', name: 'lb_session' } },
      },
    },
    transform: openapiTransform(jsonSchemaTransform),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Its own CSP (with the hashes of its inline scripts), never framed, and no upgrade-insecure-requests (which
    // would break /docs on a plain-HTTP localhost).
    staticCSP: true,
    transformStaticCSP: (h: string) => h.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  const ctx: RouteContext = { requireAdmin, metrics };
  const checks: Record<string, HealthCheck> = {};
  for (const m of deps.modules) {
    if (m.routes) await app.register(m.routes(ctx));
    Object.assign(checks, m.health);
  }
  await app.register(
    healthRoutes({
      pingDb: () => deps.db.ping(),
      dbKind: deps.db.kind,
      sandbox: config.sandbox,
      checks,
    }),
  );
  await app.register(
    metricsRoutes(metrics, createTokenGuard([config.metricsToken, adminToken], 'GET /metrics needs "Authorization: Bearer <LEADBRIDGE_METRICS_TOKEN>" (or the admin token)')),
  );
  return app;
}
