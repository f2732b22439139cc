// HTTP intake: POST /api/leads (+ trailing slash), the FitZone alias POST /api/crm, admin GET /api/leads/:id.
import type {} from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CountryCode } from 'libphonenumber-js';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Database, LeadRow } from '../db/index.js';
import { captureLead, type CaptureDeps } from './capture-lead.js';
import { IntakeError } from './errors.js';
import { createLeadWriter, type LeadWriterOptions } from './lead-writer.js';
import { LeadBodySchema, LeadViewSchema, AcceptedSchema, CrmAliasBodySchema } from './schemas.js';
import { getLead, listLeadEvents } from './sql.js';
import { inferSource, validateLead, type ValidateContext } from './validate.js';

export interface IntakeFormInfo {
  honeypot: string;
  extraFields: string[];
}

export interface IntakeDeps {
  db: Database;
  defaultCountry: CountryCode;
  /** Configured forms (key → honeypot/extra field names). Empty = any form key is accepted. */
  forms: Record<string, IntakeFormInfo>;
  /** The form of leads naming none (config `default_form`; default "default"). */
  defaultForm?: string;
  /** Honeypot field for forms not in `forms` (default `website`). */
  honeypot?: string;
  /** Guards admin routes (401 when the bearer token is missing or wrong). */
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Per-IP limit for the POST routes (needs @fastify/rate-limit registered with global: false). */
  rateLimit?: { max: number; timeWindow: number };
  metrics?: Registry;
  logger?: Logger;
  now?: () => number;
  onLeadCaptured?: (leadId: string) => void;
  /** The synced amoCRM deal of a delivered lead (webhook sync provides it; absent → `deal: null`). */
  dealView?: (amoLeadId: number) => Promise<LeadView['deal']>;
  /** Group commit of concurrent submissions (default on: maxBatch 100, maxInFlight 4); false = one statement per lead. */
  groupCommit?: LeadWriterOptions | false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function leadsCounter(registry: Registry | undefined): Counter<'form' | 'result'> | undefined {
  if (!registry) return undefined;
  const name = 'leadbridge_leads_received_total';
  const existing = registry.getSingleMetric(name) as Counter<'form' | 'result'> | undefined;
  return (
    existing ??
    new Counter({ name, help: 'Leads received by intake, by form and result', labelNames: ['form', 'result'], registers: [registry] })
  );
}

/** Spam is answered exactly like a normal lead, so bots learn nothing. */
function publicStatus(lead: LeadRow): string {
  return lead.status === 'spam' ? 'pending' : lead.status;
}

type LeadView = z.infer<typeof LeadViewSchema>;

function toView(lead: LeadRow, events: Awaited<ReturnType<typeof listLeadEvents>>, deal: LeadView['deal']): LeadView {
  return {
    id: lead.id,
    form: lead.formKey,
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
    deal,
  };
}

export function intakeRoutes(deps: IntakeDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const counter = leadsCounter(deps.metrics);
    const now = deps.now ?? Date.now;
    const knownForms = Object.keys(deps.forms);
    const defaultHoneypot = deps.honeypot ?? 'website';
    const rateLimit = { rateLimit: deps.rateLimit ?? (false as const) };
    const captureDeps: CaptureDeps = { db: deps.db };
    if (deps.groupCommit !== false) captureDeps.writer = createLeadWriter(deps.db, deps.groupCommit ?? {});
    if (deps.logger) captureDeps.logger = deps.logger;
    if (deps.onLeadCaptured) captureDeps.onLeadCaptured = deps.onLeadCaptured;
    // The body is validated by validateLead (every problem, with codes → 422); the schema documents it.
    const passthrough = () => (data: unknown) => ({ value: data });

    async function submit(req: FastifyRequest, reply: FastifyReply, body: unknown, extra: Partial<ValidateContext> = {}) {
      if (body === undefined || body === null) body = {};
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new IntakeError('MALFORMED_BODY', 400, 'the request body must be a JSON object or a form');
      }
      const header = req.headers['idempotency-key'];
      const ctx: ValidateContext = {
        defaultCountry: deps.defaultCountry,
        knownForms,
        honeypotFor: (form) => deps.forms[form]?.honeypot ?? defaultHoneypot,
        extraFieldsFor: (form) => deps.forms[form]?.extraFields ?? [],
        ip: req.ip,
        now,
        ...(deps.defaultForm ? { defaultForm: deps.defaultForm } : {}),
        ...extra,
      };
      if (typeof header === 'string') ctx.headerIdempotencyKey = header;
      const result = validateLead(body as Record<string, unknown>, ctx);
      if (!result.ok) {
        counter?.inc({ form: 'invalid', result: 'rejected' });
        throw new IntakeError('VALIDATION_FAILED', 422, 'the lead has invalid fields', result.errors);
      }
      if (result.lead.extra.source === undefined && ctx.extraFieldsFor(result.lead.formKey).includes('source')) {
        const referer = req.headers.referer;
        const source = inferSource(result.lead, typeof referer === 'string' ? referer : undefined);
        if (source) result.lead.extra.source = source;
      }
      const meta = { ip: req.ip, requestId: String(req.id) } as { ip: string; requestId: string; userAgent?: string };
      const ua = req.headers['user-agent'];
      if (ua) meta.userAgent = ua;
      const { lead, created } = await captureLead(captureDeps, result.lead, meta);
      const form = knownForms.includes(lead.formKey) ? lead.formKey : 'other';
      counter?.inc({ form, result: created ? (result.lead.spam ? 'spam' : 'accepted') : 'duplicate' });
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
        return toView(lead, await listLeadEvents(deps.db, lead.id), deal);
      },
    );
  };
}
