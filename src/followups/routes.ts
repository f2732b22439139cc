// HTTP of follow-ups: the unsubscribe page (GET confirms, POST unsubscribes at once — RFC 8058 one-click), and the
// admin API: list enrolments, stop one, preview a step rendered for a lead.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FollowupEnrolmentRow, FollowupStepRow } from '../db/index.js';
import { AppError } from '../errors.js';

export type FollowupsErrorCode = 'UNSUBSCRIBE_LINK_INVALID' | 'ENROLMENT_NOT_FOUND' | 'LEAD_NOT_FOUND' | 'SEQUENCE_NOT_FOUND' | 'STEP_NOT_FOUND' | 'STEP_NOT_A_MESSAGE';

export class FollowupsError extends AppError<FollowupsErrorCode> {
  constructor(
    code: FollowupsErrorCode,
    readonly statusCode: number,
    message: string,
  ) {
    super(code, message);
  }
}

export const StepViewSchema = z.object({
  index: z.number(),
  channel: z.enum(['email', 'whatsapp', 'task']),
  status: z.string(),
  due_at: z.string(),
  sent_at: z.string().nullable(),
  done_at: z.string().nullable(),
  attempts: z.number(),
  message_id: z.string().nullable(),
  reason: z.string().nullable(),
  error: z.record(z.string(), z.unknown()).nullable(),
  detail: z.record(z.string(), z.unknown()),
});

export const EnrolmentViewSchema = z.object({
  id: z.string(),
  sequence: z.string(),
  status: z.enum(['active', 'completed', 'exited']),
  exit_reason: z.string().nullable(),
  exit_detail: z.string().nullable(),
  lead_id: z.string().nullable(),
  amo_lead_id: z.number().nullable(),
  created_at: z.string(),
  ended_at: z.string().nullable(),
  steps: z.array(StepViewSchema),
});
export type EnrolmentView = z.infer<typeof EnrolmentViewSchema>;

export function enrolmentView(e: FollowupEnrolmentRow, steps: FollowupStepRow[]): EnrolmentView {
  return {
    id: e.id,
    sequence: e.sequenceKey,
    status: e.status,
    exit_reason: e.exitReason,
    exit_detail: e.exitDetail,
    lead_id: e.leadId,
    amo_lead_id: e.amoLeadId,
    created_at: e.createdAt.toISOString(),
    ended_at: e.endedAt?.toISOString() ?? null,
    steps: steps
      .filter((s) => s.enrolmentId === e.id)
      .map((s) => ({
        index: s.stepIndex,
        channel: s.kind,
        status: s.status,
        due_at: s.dueAt.toISOString(),
        sent_at: s.sendingAt?.toISOString() ?? null,
        done_at: s.doneAt?.toISOString() ?? null,
        attempts: s.attempts,
        message_id: s.messageId,
        reason: s.reason,
        error: s.error ?? null,
        detail: s.detail,
      })),
  };
}

const PreviewSchema = z.object({
  sequence: z.string(),
  step: z.number(),
  channel: z.enum(['email', 'whatsapp', 'task']),
  to: z.string().nullable(),
  subject: z.string().optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  template: z.object({ name: z.string(), language: z.string(), params: z.array(z.string()) }).optional(),
});
export type StepPreview = z.infer<typeof PreviewSchema>;

export interface FollowupRoutesDeps {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  list(f: { leadId?: string; status?: string; sequence?: string; limit?: number }): Promise<EnrolmentView[]>;
  stop(id: string): Promise<EnrolmentView | undefined>;
  preview(leadId: string, sequence: string, step: number): Promise<StepPreview>;
  /** null = bad or forged token. */
  unsubscribe(token: string, apply: boolean): Promise<{ address: string } | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>` +
  `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#2563eb;color:#fff;cursor:pointer}</style></head><body>${body}</body></html>`;

/** A link that is not ours: a page for a person's browser, problem+json for anything else (a mail provider's POST). */
function invalidLink(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!String(req.headers.accept ?? '').includes('text/html')) throw new FollowupsError('UNSUBSCRIBE_LINK_INVALID', 404, 'this unsubscribe link is not valid');
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send(page('Link not valid', '<h1>Ссылка недействительна</h1><p>This unsubscribe link is not valid.</p>'));
}

export function followupRoutes(deps: FollowupRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const Token = z.object({ token: z.string().min(10).max(3000) });
    app.get(
      '/unsubscribe/:token',
      { schema: { tags: ['followups'], summary: 'Unsubscribe page: asks to confirm (GET never unsubscribes: link scanners prefetch)', params: Token } },
      async (req, reply) => {
        const ok = await deps.unsubscribe(req.params.token, false);
        if (!ok) return invalidLink(req, reply);
        reply.type('text/html; charset=utf-8');
        return page(
          'Unsubscribe',
          `<h1>Отписаться от писем?</h1><p>Адрес <b>${esc(ok.address)}</b> больше не будет получать письма этой рассылки.</p>` +
            `<form method="post"><button type="submit">Отписаться / Unsubscribe</button></form>`,
        );
      },
    );
    app.post(
      '/unsubscribe/:token',
      {
        schema: {
          tags: ['followups'],
          summary: 'Unsubscribe at once (RFC 8058 one-click POST `List-Unsubscribe=One-Click`, or the confirm page)',
          params: Token,
        },
      },
      async (req, reply) => {
        const ok = await deps.unsubscribe(req.params.token, true);
        if (!ok) return invalidLink(req, reply);
        reply.type('text/html; charset=utf-8');
        return page('Unsubscribed', `<h1>Вы отписались</h1><p><b>${esc(ok.address)}</b> больше не получит писем этой рассылки.</p>`);
      },
    );

    const admin = { security: [{ bearerAuth: [] }], tags: ['admin', 'followups'] };
    app.get(
      '/api/admin/followups/enrolments',
      {
        schema: {
          ...admin,
          summary: 'Follow-up enrolments (newest first) with their steps',
          querystring: z.object({
            lead_id: z.string().regex(UUID).optional(),
            status: z.enum(['active', 'completed', 'exited']).optional(),
            sequence: z.string().max(64).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ enrolments: z.array(EnrolmentViewSchema) }) },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => {
        const q = req.query;
        return {
          enrolments: await deps.list({
            limit: q.limit,
            ...(q.lead_id ? { leadId: q.lead_id } : {}),
            ...(q.status ? { status: q.status } : {}),
            ...(q.sequence ? { sequence: q.sequence } : {}),
          }),
        };
      },
    );
    app.post(
      '/api/admin/followups/enrolments/:id/stop',
      {
        schema: {
          ...admin,
          summary: 'Stop an enrolment (exit reason `stopped`); pending steps are cancelled',
          params: z.object({ id: z.string() }),
          response: { 200: EnrolmentViewSchema },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => {
        const v = UUID.test(req.params.id) ? await deps.stop(req.params.id) : undefined;
        if (!v) throw new FollowupsError('ENROLMENT_NOT_FOUND', 404, 'no enrolment with this id');
        return v;
      },
    );
    app.get(
      '/api/admin/followups/preview',
      {
        schema: {
          ...admin,
          summary: "A sequence step's message rendered for a lead (nothing is sent)",
          querystring: z.object({ lead_id: z.string().regex(UUID), sequence: z.string().min(1).max(64), step: z.coerce.number().int().min(0).max(100) }),
          response: { 200: PreviewSchema },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => deps.preview(req.query.lead_id, req.query.sequence, req.query.step),
    );
  };
}
