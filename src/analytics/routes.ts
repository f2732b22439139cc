// GET /api/analytics/*: the dashboard's read API. Every route needs a dashboard session (the guard comes from
// src/dashboard); personal data (name, phone, email, message) only reaches admins. `format=csv` on every table.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { openStages, type Catalog } from './catalog.js';
import { attachment, toCsv, type CsvColumn } from './csv.js';
import * as q from './sql.js';
import { AppError } from '../errors.js';

export class AnalyticsError extends AppError {
  constructor(
    readonly statusCode: 400 | 404,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export interface AnalyticsRouteDeps {
  db: Database;
  /** Session guard for every route (401 without a session). */
  guard: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Whether the signed-in user may see personal data (admins). */
  canSeePersonal: (req: FastifyRequest) => boolean;
  catalog: () => Promise<Catalog>;
  /** Config key of the commission deal field (Asia Deals: `commission`, the "Комиссия" field). */
  commissionKey: string;
  /** The amoCRM connection and queue health for the overview. */
  health?: () => Promise<Record<string, unknown>>;
  /** The lead's stored routing decision (src/routing); absent: the lead page says none was recorded. */
  routingView?: (leadId: string) => Promise<unknown>;
  /** The lead's follow-up enrolments and their messages; absent: the lead page says the module is not installed. */
  followupsView?: (leadId: string) => Promise<unknown[]>;
  /** Follow-up sends; absent while no follow-ups module is wired (the overview then says so). */
  followups?: (range: { fromMs: number; toMs: number }) => Promise<{ sent: number; failed: number }>;
  now?: () => number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const tzOk = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const Tz = z.string().max(64).refine(tzOk, 'unknown time zone').default('UTC');
const Day = z.string().regex(DAY, 'YYYY-MM-DD').optional();
const Format = z.enum(['json', 'csv']).default('json');
const RangeQuery = { from: Day, to: Day, tz: Tz, format: Format };

export function dayIn(tz: string, ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

function rangeOf(qs: { from?: string | undefined; to?: string | undefined; tz: string }, nowMs: number): q.Range {
  const to = qs.to ?? dayIn(qs.tz, nowMs);
  const from = qs.from ?? dayIn('UTC', Date.parse(`${to}T00:00:00Z`) - 29 * 86400_000);
  if (from > to) throw new AnalyticsError(400, 'INVALID_RANGE', '`from` is after `to`');
  return { from, to, tz: qs.tz };
}

function sendCsv<T>(reply: FastifyReply, name: string, columns: CsvColumn<T>[], rows: readonly T[]) {
  return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', attachment(`${name}.csv`)).send(toCsv(columns, rows));
}

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : '');
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PERSONAL = ['name', 'phone', 'email', 'message'] as const;

export function analyticsRoutes(deps: AnalyticsRouteDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const common = { tags: ['dashboard'], security: [{ cookieAuth: [] }] };
    const onRequest = deps.guard;

    app.get(
      '/api/analytics/overview',
      { schema: { ...common, summary: 'Leads today / 7 d / 30 d, delivery states, queue, amoCRM and webhook health, leads per day', querystring: z.object({ tz: Tz }) }, onRequest },
      async (req) => {
        const nowMs = now();
        const { tz } = req.query;
        const [counts, statuses, perDay, webhooks, health] = await Promise.all([
          q.leadCounts(deps.db, tz, nowMs),
          q.statusCounts(deps.db),
          q.leadsPerDay(deps.db, tz, nowMs, 30),
          q.webhookHealth(deps.db, nowMs),
          deps.health ? deps.health().catch((err: Error) => ({ error: err.message })) : Promise.resolve({}),
        ]);
        const followups = deps.followups ? await deps.followups({ fromMs: nowMs - 30 * 86400_000, toMs: nowMs }) : null;
        return { leads: counts, statuses, perDay, webhooks, health, followups, now: nowMs };
      },
    );

    app.get('/api/analytics/catalog', { schema: { ...common, summary: 'Pipelines, stages and managers by id (names from amoCRM)' }, onRequest }, async () => {
      const [catalog, pipelines] = await Promise.all([deps.catalog(), q.dealPipelines(deps.db)]);
      return { ...catalog, dealPipelines: pipelines };
    });

    const LeadsQuery = z.object({
      q: z.string().max(200).optional(),
      form: z.string().max(100).optional(),
      source: z.string().max(200).optional(),
      status: z.string().max(20).optional(),
      manager: z.coerce.number().int().optional(),
      limit: z.coerce.number().int().min(1).max(5000).default(50),
      offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
      ...RangeQuery,
    });
    app.get('/api/analytics/leads', { schema: { ...common, summary: 'Leads, newest first, searchable and filterable', querystring: LeadsQuery }, onRequest }, async (req, reply) => {
      const qs = req.query;
      const personal = deps.canSeePersonal(req);
      const list = await q.listLeads(deps.db, { ...stripUndefined(qs), tz: qs.tz, limit: qs.limit + 1, offset: qs.offset, personal });
      const items = list.slice(0, qs.limit).map((r) => (personal ? r : { ...r, name: null, phone: null, email: null }));
      if (qs.format === 'csv') {
        const cols: CsvColumn<q.LeadListRow>[] = [
          { header: 'id', value: (r) => r.id },
          { header: 'created_at', value: (r) => iso(r.createdAt) },
          { header: 'form', value: (r) => r.formKey },
          { header: 'status', value: (r) => r.status },
          ...(personal
            ? [
                { header: 'name', value: (r: q.LeadListRow) => r.name },
                { header: 'phone', value: (r: q.LeadListRow) => r.phone },
                { header: 'email', value: (r: q.LeadListRow) => r.email },
              ]
            : []),
          { header: 'utm_source', value: (r) => r.utmSource },
          { header: 'utm_medium', value: (r) => r.utmMedium },
          { header: 'utm_campaign', value: (r) => r.utmCampaign },
          { header: 'amo_lead_id', value: (r) => r.amoLeadId },
          { header: 'manager_id', value: (r) => r.manager },
          { header: 'attempts', value: (r) => r.attempts },
        ];
        return sendCsv(reply, 'leads', cols, items);
      }
      return { items, hasMore: list.length > qs.limit, personal };
    });

    app.get(
      '/api/analytics/leads/:id',
      { schema: { ...common, summary: "A lead's whole timeline: capture, delivery attempts, the amoCRM deal, stage history", params: z.object({ id: z.string() }) }, onRequest },
      async (req) => {
        const { id } = req.params;
        const detail = UUID.test(id) ? await q.leadDetail(deps.db, id.toLowerCase(), now(), deps.commissionKey) : undefined;
        if (!detail) throw new AnalyticsError(404, 'LEAD_NOT_FOUND', 'no lead with this id');
        const personal = deps.canSeePersonal(req);
        if (!personal) {
          for (const k of PERSONAL) detail.lead[k] = null;
          detail.lead.extra = {};
          const consent = detail.lead.consent as Record<string, unknown> | null;
          if (consent) detail.lead.consent = { ...consent, ip: undefined };
        }
        const dealUrl = detail.deal && detail.amoHost ? `https://${detail.amoHost}/leads/detail/${String(detail.deal.amoLeadId)}` : null;
        // The decision routing stored for this lead (rule, strategy, skipped managers, take-up), never rebuilt here.
        const routing = deps.routingView ? ((await deps.routingView(detail.lead.id as string)) ?? null) : null;
        const followups = deps.followupsView ? await deps.followupsView(detail.lead.id as string) : undefined;
        return { ...detail, dealUrl, routing, personal, ...(followups ? { followups } : {}) };
      },
    );

    const FunnelQuery = z.object({ pipeline: z.coerce.number().int().optional(), ...RangeQuery });
    app.get('/api/analytics/funnel', { schema: { ...common, summary: 'Per pipeline: deals reaching each stage, conversion, median time in stage, won/lost', querystring: FunnelQuery }, onRequest }, async (req, reply) => {
      const qs = req.query;
      const range = rangeOf(qs, now());
      const catalog = await deps.catalog();
      const dealPipelines = await q.dealPipelines(deps.db);
      const pipelineId = qs.pipeline ?? catalog.pipelines.find((p) => p.isMain)?.id ?? dealPipelines[0]?.pipelineId ?? catalog.pipelines[0]?.id;
      if (pipelineId === undefined) return { pipelineId: null, range, deals: 0, won: 0, lost: 0, stages: [] };
      const pipeline = catalog.pipelines.find((p) => p.id === pipelineId);
      const order = pipeline ? openStages(pipeline).map((s) => s.id) : await q.stagesSeen(deps.db, pipelineId);
      const r = await q.funnel(deps.db, pipelineId, order, range, now());
      const names = new Map((pipeline?.stages ?? []).map((s) => [s.id, s.name]));
      const stages = r.stages.map((s, i) => ({
        ...s,
        name: names.get(s.statusId) ?? String(s.statusId),
        conversionFromPrevious: i === 0 ? null : ratio(s.reached, (r.stages[i - 1] as q.FunnelStageRow).reached),
        conversionFromFirst: ratio(s.reached, (r.stages[0] as q.FunnelStageRow).reached),
      }));
      if (qs.format === 'csv') {
        return sendCsv(reply, `funnel-${pipelineId}-${range.from}-${range.to}`, [
          { header: 'stage', value: (s: (typeof stages)[number]) => s.name },
          { header: 'status_id', value: (s) => s.statusId },
          { header: 'reached', value: (s) => s.reached },
          { header: 'conversion_from_previous', value: (s) => s.conversionFromPrevious },
          { header: 'median_seconds_in_stage', value: (s) => s.medianSeconds },
        ], stages);
      }
      return { pipelineId, pipelineName: pipeline?.name ?? String(pipelineId), range, deals: r.deals, won: r.won, lost: r.lost, winRate: ratio(r.won, r.deals), stages };
    });

    const SourcesQuery = z.object({ touch: z.enum(['first', 'last']).default('last'), level: z.enum(['source', 'medium', 'campaign']).default('campaign'), ...RangeQuery });
    app.get('/api/analytics/sources', { schema: { ...common, summary: 'UTM source/medium/campaign (first or last touch) → leads → deals → won → revenue → commission', querystring: SourcesQuery }, onRequest }, async (req, reply) => {
      const qs = req.query;
      const range = rangeOf(qs, now());
      const rows = (await q.sources(deps.db, qs.touch, qs.level, range)).map((r) => ({
        ...r,
        conversion: ratio(r.won, r.leads),
        revenuePerLead: ratio(r.revenue, r.leads),
      }));
      if (qs.format === 'csv') {
        return sendCsv(reply, `sources-${qs.touch}-touch-${range.from}-${range.to}`, [
          { header: 'utm_source', value: (r: (typeof rows)[number]) => r.source },
          { header: 'utm_medium', value: (r) => r.medium },
          { header: 'utm_campaign', value: (r) => r.campaign },
          { header: 'leads', value: (r) => r.leads },
          { header: 'deals', value: (r) => r.deals },
          { header: 'won', value: (r) => r.won },
          { header: 'revenue', value: (r) => r.revenue },
          { header: 'commission', value: (r) => r.commission },
          { header: 'conversion', value: (r) => r.conversion },
          { header: 'revenue_per_lead', value: (r) => r.revenuePerLead },
        ], rows);
      }
      return { touch: qs.touch, level: qs.level, range, rows };
    });

    app.get('/api/analytics/managers', { schema: { ...common, summary: 'Per manager: deals assigned, won, lost, revenue, median time to the first stage change', querystring: z.object(RangeQuery) }, onRequest }, async (req, reply) => {
      const qs = req.query;
      const range = rangeOf(qs, now());
      const { users } = await deps.catalog();
      const rows = (await q.managers(deps.db, range)).map((r) => ({ ...r, name: r.manager === null ? null : (users[r.manager] ?? null), winRate: ratio(r.won, r.assigned) }));
      if (qs.format === 'csv') {
        return sendCsv(reply, `managers-${range.from}-${range.to}`, [
          { header: 'manager_id', value: (r: (typeof rows)[number]) => r.manager },
          { header: 'manager', value: (r) => r.name },
          { header: 'assigned', value: (r) => r.assigned },
          { header: 'won', value: (r) => r.won },
          { header: 'lost', value: (r) => r.lost },
          { header: 'revenue', value: (r) => r.revenue },
          { header: 'median_seconds_to_first_stage_change', value: (r) => r.medianFirstChangeSeconds },
        ], rows);
      }
      return { range, rows };
    });

    const DeliveryQuery = z.object({ table: z.enum(['failures', 'stuck', 'webhooks', 'reconcile']).optional(), ...RangeQuery });
    app.get('/api/analytics/delivery', { schema: { ...common, summary: 'Failures by reason, dead/failed leads, webhook deliveries, reconciliation runs', querystring: DeliveryQuery }, onRequest }, async (req, reply) => {
      const qs = req.query;
      const nowMs = now();
      const range = rangeOf(qs, nowMs);
      const [failures, stuck, webhooks, webhookCounts, reconcile] = await Promise.all([
        q.failuresByReason(deps.db, range),
        q.stuckLeads(deps.db, 200),
        q.webhookDeliveries(deps.db, 100),
        q.webhookStatusCounts(deps.db, nowMs),
        q.reconcileRuns(deps.db),
      ]);
      if (qs.format === 'csv') {
        const table = qs.table ?? 'failures';
        if (table === 'failures') return sendCsv(reply, 'delivery-failures', [
          { header: 'reason', value: (r: (typeof failures)[number]) => r.reason },
          { header: 'attempts', value: (r) => r.attempts },
          { header: 'leads', value: (r) => r.leads },
        ], failures);
        if (table === 'stuck') return sendCsv(reply, 'dead-leads', [
          { header: 'id', value: (r: q.DeadLeadRow) => r.id },
          { header: 'created_at', value: (r) => iso(r.createdAt) },
          { header: 'form', value: (r) => r.formKey },
          { header: 'status', value: (r) => r.status },
          { header: 'attempts', value: (r) => r.attempts },
          { header: 'reason', value: (r) => r.reason },
        ], stuck);
        if (table === 'webhooks') return sendCsv(reply, 'webhook-deliveries', [
          { header: 'id', value: (r: Record<string, unknown>) => r.id },
          { header: 'received_at', value: (r) => iso(r.receivedAt) },
          { header: 'status', value: (r) => r.status },
          { header: 'error_code', value: (r) => r.errorCode },
          { header: 'events', value: (r) => r.eventCount },
          { header: 'applied', value: (r) => r.appliedCount },
        ], webhooks);
        return sendCsv(reply, 'reconciliation', [
          { header: 'name', value: (r: (typeof reconcile)[number]) => r.name },
          { header: 'updated_at', value: (r) => iso(r.updatedAt) },
          { header: 'cursor', value: (r) => r.cursor },
          { header: 'detail', value: (r) => r.detail },
        ], reconcile);
      }
      return { range, failures, stuck, webhooks, webhookCounts, reconcile };
    });
  };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}
