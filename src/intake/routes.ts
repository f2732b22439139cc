// HTTP intake: POST /api/leads (+ trailing slash), the FitZone alias POST /api/crm, admin GET /api/leads/:id.
import type {} from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LeadRow } from '../db/index.js';
import { createLeadIntake, publicStatus, type AcceptOptions, type LeadIntake, type LeadIntakeDeps } from './accept.js';
import { apiKeyLimits, type IntakeApiKey } from './api-keys.js';
import { IntakeError } from './errors.js';
import { LeadBodySchema, LeadViewSchema, AcceptedSchema, CrmAliasBodySchema } from './schemas.js';
import { getLead, listLeadEvents } from './sql.js';

export type { IntakeFormInfo } from './accept.js';

export interface IntakeDeps extends LeadIntakeDeps {
  /** The shared intake (createIntake makes one and the runtime hands it to capture too); made from these deps when absent. */
  intake?: LeadIntake;
  /** Guards admin routes (401 when the bearer token is missing or wrong). */
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /**
   * Limit of the POST routes per window (needs @fastify/rate-limit registered with global: false): `max` per client
   * IP for anonymous posts; a request with a valid X-Api-Key counts against that key's own `perMinute` instead.
   */
  rateLimit?: { max: number; timeWindow: number };
  /** Per-source API keys of server-to-server callers (config `api_keys`). */
  apiKeys?: IntakeApiKey[];
  /** The synced amoCRM deal of a delivered lead (webhook sync provides it; absent → `deal: null`). */
  dealView?: (amoLeadId: number) => Promise<LeadView['deal']>;
  /** The routing decision of a lead (src/routing provides it; absent → `routing: null`). */
  routingView?: (leadId: string) => Promise<LeadView['routing']>;
  /** The lead's follow-up enrolments (src/followups provides them; absent → no `followups` key). */
  followupsView?: (leadId: string) => Promise<NonNullable<LeadView['followups']>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type LeadView = z.infer<typeof LeadViewSchema>;

function toView(lead: LeadRow, events: Awaited<ReturnType<typeof listLeadEvents>>, deal: LeadView['deal'], routing: LeadView['routing'] = null): LeadView {
  return {
    id: lead.id,
    form: lead.formKey,
    source: lead.source,
    source_key: lead.sourceKey,
    status: lead.status,
    idempotency_key: lead.idempotencyKey,
    name: lead.name,
    phone: lead.phone,
    email: lead.email,
    message: lead.message,
    extra: lead.extra,
    raw: lead.raw,
    attribution: lead.attribution,
    consent: lead.consent,
    attempts: lead.attempts,
    next_attempt_at: lead.nextAttemptAt.toISOString(),
    last_error: lead.lastError,
    amo_lead_id: lead.amoLeadId,
    amo_contact_id: lead.amoContactId,
    responsible_user_id: lead.responsibleUserId,
    delivered_at: lead.deliveredAt?.toISOString() ?? null,
    created_at: lead.createdAt.toISOString(),
    updated_at: lead.updatedAt.toISOString(),
    timeline: events.map((e) => ({ at: e.at.toISOString(), type: e.type, detail: e.detail })),
    routing,
    deal,
  };
}

export function intakeRoutes(deps: IntakeDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const intake = deps.intake ?? createLeadIntake(deps);
    const keys = apiKeyLimits(deps.apiKeys ?? [], deps.rateLimit?.max ?? Number.MAX_SAFE_INTEGER);
    const rateLimit = {
      rateLimit: deps.rateLimit
        ? { timeWindow: deps.rateLimit.timeWindow, max: keys.max, keyGenerator: keys.keyGenerator }
        : (false as const),
    };
    // The body is validated by validateLead (every problem, with codes → 422); the schema documents it.
    const passthrough = () => (data: unknown) => ({ value: data });

    async function submit(req: FastifyRequest, reply: FastifyReply, body: unknown, extra: AcceptOptions = {}) {
      const opts: AcceptOptions = { source: 'api', ip: req.ip, requestId: String(req.id), ...extra };
      const sourceKey = keys.sourceOf(req);
      if (sourceKey) opts.sourceKey = sourceKey;
      const header = req.headers['idempotency-key'];
      if (typeof header === 'string') opts.idempotencyKey = header;
      const ua = req.headers['user-agent'];
      if (ua) opts.userAgent = ua;
      const referer = req.headers.referer;
      if (typeof referer === 'string') opts.referer = referer;
      const { lead, created } = await intake.accept(body, opts);
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(created ? 202 : 200).send({ id: lead.id, status: publicStatus(lead) });
    }

    const leadRoute = {
      schema: {
        tags: ['intake'],
        summary: 'Submit a lead (JSON or application/x-www-form-urlencoded)',
        description:
          'Stored before the answer. Idempotency-Key header (or idempotency_key field): a resubmit returns the same lead (200). ' +
          'Errors: 400 MALFORMED_BODY, 413 BODY_TOO_LARGE, 422 VALIDATION_FAILED (every bad field), 429 RATE_LIMITED.',
        headers: z.object({ 'idempotency-key': z.string().optional() }).loose(),
        body: LeadBodySchema,
        response: { 200: AcceptedSchema, 202: AcceptedSchema },
      },
      validatorCompiler: passthrough,
      onRequest: keys.identify,
      config: rateLimit,
    };
    app.post('/api/leads', leadRoute, (req, reply) => submit(req, reply, req.body));
    app.post('/api/leads/', { ...leadRoute, schema: { ...leadRoute.schema, hide: true } }, (req, reply) =>
      submit(req, reply, req.body),
    );

    app.post(
      '/api/crm',
      {
        schema: {
          tags: ['intake'],
          summary: 'FitZone landing alias: {name, phone, direction, message} → form "fitzone"',
          body: CrmAliasBodySchema,
          response: { 200: AcceptedSchema, 202: AcceptedSchema },
        },
        validatorCompiler: passthrough,
        onRequest: keys.identify,
        config: rateLimit,
      },
      (req, reply) => {
        const body = req.body as unknown;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) return submit(req, reply, body);
        const { direction, ...rest } = body as Record<string, unknown>;
        const mapped: Record<string, unknown> = { ...rest, form: 'fitzone' };
        if (direction !== undefined) {
          const extra = typeof rest.extra === 'object' && rest.extra !== null ? (rest.extra as Record<string, unknown>) : {};
          mapped.extra = { ...extra, direction };
        }
        return submit(req, reply, mapped, { allowUnknownForm: true });
      },
    );

    app.get(
      '/api/leads/:id',
      {
        schema: {
          tags: ['admin'],
          summary: 'A lead, its amoCRM ids once delivered, its delivery timeline and the synced deal stage',
          security: [{ bearerAuth: [] }],
          params: z.object({ id: z.string() }),
          response: { 200: LeadViewSchema },
        },
        onRequest: deps.requireAdmin,
      },
      async (req) => {
        const { id } = req.params;
        const lead = UUID.test(id) ? await getLead(deps.db, id) : undefined;
        if (!lead) throw new IntakeError('LEAD_NOT_FOUND', 404, 'no lead with this id');
        const deal = lead.amoLeadId !== null && deps.dealView ? await deps.dealView(lead.amoLeadId) : null;
        const routing = deps.routingView ? await deps.routingView(lead.id) : null;
        const view = toView(lead, await listLeadEvents(deps.db, lead.id), deal, routing);
        return deps.followupsView ? { ...view, followups: await deps.followupsView(lead.id) } : view;
      },
    );
  };
}
