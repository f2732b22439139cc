// Operator endpoints (admin): the webhook URL (holds the secret, so admin-only).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface OpsRoutesDeps {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  webhookUrl: () => Promise<string>;
}

export function opsRoutes(deps: OpsRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/api/admin/webhook-url',
      {
        onRequest: deps.requireAdmin,
        schema: {
          tags: ['admin'],
          summary: 'The full webhook URL amoCRM must call (holds the secret)',
          security: [{ bearerAuth: [] }],
          response: {
            200: z.object({ url: z.string() }).meta({ example: { url: 'https://leads.example.ru/api/webhooks/amo/Zb3…' } }),
          },
        },
      },
      async () => ({ url: await deps.webhookUrl() }),
    );
  };
}
