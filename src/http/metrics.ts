// GET /metrics (Prometheus text) and the HTTP request metrics. The shared Registry and the get-or-create helpers
// are src/metrics.ts.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { counter, histogram } from '../metrics.js';

/** Counts every request on the root instance (call before registering route plugins). */
export function instrumentHttp(app: FastifyInstance, registry: Registry): void {
    const requests = counter(registry, { name: 'leadbridge_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'] });
    const duration = histogram(registry, {
      name: 'leadbridge_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      requests.inc({ method: req.method, route, status: String(reply.statusCode) });
      duration.observe({ route }, reply.elapsedTime / 1000);
    });
}

/**
 * GET /metrics behind a bearer token (LEADBRIDGE_METRICS_TOKEN, or the admin token): the counters tell outsiders how
 * many leads a business gets. Prometheus: `authorization: { credentials: <token> }` in the scrape config.
 */
export function metricsRoutes(registry: Registry, guard: (req: FastifyRequest, reply: FastifyReply) => Promise<void>): FastifyPluginAsync {
  return async (app) => {
    const schema = { tags: ['ops'], summary: 'Prometheus metrics (bearer: LEADBRIDGE_METRICS_TOKEN or the admin token)', security: [{ bearerAuth: [] }] };
    app.get('/metrics', { schema, onRequest: guard }, async (_req, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
