// Privacy admin endpoints: GET /api/admin/backup (the embedded database's tarball, taken while it runs) and
// POST /api/admin/forget (erase a person's personal data). Admin token, like every /api/admin route.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ForgetRequest, ForgetResult } from './forget.js';

export interface PrivacyRoutesDeps {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  backup: () => Promise<Uint8Array>;
  forget: (req: ForgetRequest) => Promise<ForgetResult>;
  now?: () => Date;
}

export function privacyRoutes(deps: PrivacyRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/api/admin/backup',
      {
        onRequest: deps.requireAdmin,
        schema: {
          tags: ['admin'],
          summary: 'A consistent backup of the embedded database (PGlite data-directory tarball, gzip); 409 BACKUP_USE_PG_DUMP on PostgreSQL',
          security: [{ bearerAuth: [] }],
        },
      },
      async (_req, reply) => {
        const bytes = await deps.backup();
        const stamp = (deps.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
        return reply
          .header('content-type', 'application/gzip')
          .header('content-disposition', `attachment; filename="leadbridge-backup-${stamp}.tar.gz"`)
          .header('cache-control', 'no-store')
          .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
    );
    app.post(
      '/api/admin/forget',
      {
        onRequest: deps.requireAdmin,
        schema: {
          tags: ['admin'],
          summary: "Erase a person's personal data (by phone and/or email); the leads stay anonymous for analytics",
          security: [{ bearerAuth: [] }],
          body: z.object({ phone: z.string().max(64).optional(), email: z.string().max(254).optional() }).strict(),
          response: {
            200: z
              .object({ leads: z.number().int(), tables: z.record(z.string(), z.number().int()) })
              .meta({ example: { leads: 2, tables: { leads: 2, consents: 1, webhook_deliveries: 3, followup_enrolments: 1 } } }),
          },
        },
      },
      async (req) => deps.forget(req.body),
    );
  };
}
