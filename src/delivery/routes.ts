// Admin replay: POST /api/admin/leads/:id/replay (a failed, dead or held lead) and POST /api/admin/leads/replay
// (every dead lead, or every failed one with ?status=failed). The lead keeps its needs_lookup flag, so a
// replay after an unknown outcome still looks the deal up before creating it.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { leadExists, replayLeads } from './sql.js';
import { AppError } from '../errors.js';

export class DeliveryError extends AppError<'LEAD_NOT_REPLAYABLE' | 'LEAD_NOT_FOUND'> {
  constructor(
    code: 'LEAD_NOT_REPLAYABLE' | 'LEAD_NOT_FOUND',
    readonly statusCode: number,
    message: string,
  ) {
    super(code, message);
  }
}

export interface DeliveryRoutesDeps {
  db: Database;
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Wake the worker after a replay. */
  onReplayed?: () => void;
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ReplayedSchema = z.object({ replayed: z.array(z.string()), count: z.number() });

export function deliveryRoutes(deps: DeliveryRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const now = deps.now ?? Date.now;
    app.post(
      '/api/admin/leads/:id/replay',
      {
        schema: {
          tags: ['admin'],
          summary: 'Requeue one failed, dead or held lead (attempts reset; looked up first after an unknown outcome)',
          security: [{ bearerAuth: [] }],
          params: z.object({ id: z.string() }),
          response: { 200: ReplayedSchema },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => {
        const { id } = req.params;
        const replayed = UUID.test(id) ? await replayLeads(deps.db, { id }, new Date(now()), 'admin') : [];
        if (replayed.length === 0) {
          if (!UUID.test(id) || !(await leadExists(deps.db, id))) throw new DeliveryError('LEAD_NOT_FOUND', 404, 'no lead with this id');
          throw new DeliveryError('LEAD_NOT_REPLAYABLE', 409, 'only a failed, dead or held lead can be replayed');
        }
        deps.onReplayed?.();
        return { replayed, count: replayed.length };
      },
    );
    app.post(
      '/api/admin/leads/replay',
      {
        schema: {
          tags: ['admin'],
          summary: 'Requeue every dead lead (or every failed one with ?status=failed)',
          security: [{ bearerAuth: [] }],
          querystring: z.object({ status: z.enum(['dead', 'failed']).optional() }),
          response: { 200: ReplayedSchema },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => {
        const status = req.query.status ?? 'dead';
        const replayed = await replayLeads(deps.db, { status }, new Date(now()), 'admin');
        if (replayed.length > 0) deps.onReplayed?.();
        return { replayed, count: replayed.length };
      },
    );
  };
}
