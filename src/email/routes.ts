// GET /api/admin/messages: what the sandbox SMTP catcher caught (newest first). 404 with a real SMTP server.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CaughtMessage } from './catcher.js';

const MessageSchema = z.object({
  id: z.number(),
  channel: z.literal('email'),
  received_at: z.string(),
  from: z.string().nullable(),
  to: z.array(z.string()),
  message_id: z.string().nullable(),
  subject: z.string().nullable(),
  text: z.string().nullable(),
  html: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
});

export type ExtraMessages = () => Promise<Record<string, unknown>[]>;

export function messagesRoutes(deps: {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  caught: () => CaughtMessage[] | null;
  /** Other sandboxes' messages (the WhatsApp emulator's), listed after the emails. */
  extra?: ExtraMessages;
}): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/api/admin/messages',
      {
        schema: {
          tags: ['admin', 'followups'],
          summary: 'Messages the sandbox caught: emails from the SMTP catcher (no SMTP_URL), WhatsApp messages from the emulator',
          security: [{ bearerAuth: [] }],
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ sandbox: z.object({ email: z.boolean() }), messages: z.array(MessageSchema), whatsapp: z.array(z.record(z.string(), z.unknown())) }) },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => {
        const caught = deps.caught();
        const messages = (caught ?? [])
          .slice(-req.query.limit)
          .reverse()
          .map((m) => ({
            id: m.id,
            channel: 'email' as const,
            received_at: m.receivedAt,
            from: m.envelope.from,
            to: m.envelope.to,
            message_id: m.messageId,
            subject: m.subject,
            text: m.text,
            html: m.html,
            headers: m.headers,
          }));
        return { sandbox: { email: caught !== null }, messages, whatsapp: deps.extra ? (await deps.extra()).slice(0, req.query.limit) : [] };
      },
    );
  };
}
