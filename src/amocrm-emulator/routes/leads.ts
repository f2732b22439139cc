// Leads: list with filters/order/paging, get, batch create, batch and single patch (fact sheet §7.1, §7.15).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, withList, type EmuCtx } from '../context.js';
import { applyOrder, asList, inRange, link, parseIdParam, range, sendHal, sendNoContent, sendPage } from '../hal.js';
import { checkLead, createLead, patchLead, type LeadPlan } from '../lead-write.js';
import { fail, invalidRequestBody } from '../problems.js';
import { toLead } from '../serialize.js';
import type { LeadRec } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors } from '../validation.js';
import { baseUrl } from '../hal.js';

function cfText(l: LeadRec): string {
  return l.cfv.flatMap((f) => f.values.map((v) => (typeof v.value === 'object' && v.value !== null ? JSON.stringify(v.value) : String(v.value)))).join('\n');
}

/**
 * `query` (fact sheet §7.1): a substring over the lead's name, its id and its custom-field values (text fields such as
 * LEADBRIDGE_ID included); a query without letters also matches by digits (phone-like values).
 */
export function leadMatchesQuery(l: LeadRec, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  if (String(l.id) === needle || l.name.toLowerCase().includes(needle) || cfText(l).toLowerCase().includes(needle)) return true;
  const digits = needle.replace(/\D/g, '');
  if (digits.length < 4 || /[a-zа-яё@]/i.test(needle)) return false;
  return cfText(l).replace(/\D/g, '').includes(digits);
}

/**
 * Search index lag (`searchLagMs`): `query` finds only entities whose last change (their `updated_at` second, so never
 * early) is at least the lag old on the emulator clock. Returns the predicate.
 */
export function searchableAt(ctx: EmuCtx): (r: { updated_at: number }) => boolean {
  const lag = ctx.opts.searchLagMs ?? 0;
  if (lag <= 0) return () => true;
  const now = ctx.nowMs();
  return (r) => (r.updated_at + 1) * 1000 + lag <= now;
}

export function filterLeads(req: FastifyRequest, all: LeadRec[], indexed: (l: LeadRec) => boolean = () => true): LeadRec[] {
  const q = req.query as Record<string, unknown>;
  const f = isObj(q.filter) ? q.filter : {};
  // Deleted leads are in the trash: only `with=only_deleted` lists them (and then only them). Unsorted leads are
  // listed (in the unsorted stage); only their contacts are hidden.
  const onlyDeleted = withList(req).includes('only_deleted');
  let out = all.filter((l) => l.is_deleted === onlyDeleted);
  if ((typeof q.query === 'string' || typeof q.query === 'number') && String(q.query) !== '') out = out.filter((l) => indexed(l) && leadMatchesQuery(l, String(q.query)));
  const ids = asList(f.id).map(Number);
  if (ids.length) out = out.filter((l) => ids.includes(l.id));
  const pids = asList(f.pipeline_id).map(Number);
  if (pids.length) out = out.filter((l) => pids.includes(l.pipeline_id));
  const rids = asList(f.responsible_user_id).map(Number);
  if (rids.length) out = out.filter((l) => rids.includes(l.responsible_user_id));
  if (typeof f.name === 'string') out = out.filter((l) => l.name === f.name);
  if (f.statuses !== undefined) {
    const pairs = (Array.isArray(f.statuses) ? f.statuses : Object.values(f.statuses as object)).filter(isObj);
    out = out.filter((l) => pairs.some((p) => Number(p.pipeline_id) === l.pipeline_id && Number(p.status_id) === l.status_id));
  }
  for (const k of ['created_at', 'updated_at', 'closed_at', 'price'] as const) {
    const r = range(f[k]);
    if (r) out = out.filter((l) => inRange(l[k], r));
  }
  return out;
}

export function leadRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/leads', async (req, reply) => {
      const items = applyOrder(req, filterLeads(req, [...ctx.store.leads.values()], searchableAt(ctx)), ['created_at', 'updated_at', 'id'], (x, k) => Number(x[k as keyof LeadRec] ?? 0), { key: 'updated_at', dir: 'asc' });
      const withs = withList(req);
      return sendPage(req, reply, 'leads', items, { itemLinksKeepQuery: true, render: (l) => toLead(ctx.store, baseUrl(req), l, withs) });
    });

    app.get('/api/v4/leads/:id', async (req, reply) => {
      const id = parseIdParam((req.params as { id: string }).id);
      const l = id ? ctx.store.leads.get(id) : undefined;
      if (!l || l.is_deleted) return sendNoContent(reply);
      return sendHal(reply, toLead(ctx.store, baseUrl(req), l, withList(req)));
    });

    app.post('/api/v4/leads', async (req, reply) => {
      const items = batchItems(req.body);
      const plans: LeadPlan[] = [];
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        plans.push(checkLead(ctx, item, '', errors));
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const by = actor(req);
      const base = baseUrl(req);
      const out = plans.map((plan, i) => {
        const r = createLead(ctx, plan, by);
        ctx.effects.leadAdded(r, by);
        return { id: r.id, request_id: items[i]?.requestId ?? String(i), _links: { self: { href: `${base}/api/v4/leads/${r.id}` } } };
      });
      return sendHal(reply, { _links: link(req, '/api/v4/leads'), _embedded: { leads: out } });
    });

    const patchMany = (req: FastifyRequest, body: unknown) => {
      const items = batchItems(body);
      const plans: { plan: LeadPlan; rec: LeadRec }[] = [];
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        const rec = isInt(item.id) ? ctx.store.leads.get(item.id) : undefined;
        if (item.id === undefined) errors.push(err('NotBlank', 'id'));
        else if (!isInt(item.id)) errors.push(err('InvalidType', 'id'));
        else if (!rec || rec.is_deleted) errors.push(err('NotFound', 'id'));
        const plan = checkLead(ctx, item, '', errors, rec);
        if (rec) plans.push({ plan, rec });
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      // After the validation: a loss reason on a lead that will not be lost is refused in the second 400 shape,
      // keyed by the lead id (recorded real answer, php#88). `null` (sent back as read) is fine.
      const lossErrors: Record<string, string> = {};
      for (const { plan, rec } of plans) {
        if (isInt(plan.item.loss_reason_id) && (plan.statusId ?? rec.status_id) !== 143) lossErrors[String(rec.id)] = 'Loss reason can be specified only for lost lead';
      }
      if (Object.keys(lossErrors).length) throw invalidRequestBody(lossErrors);
      const by = actor(req);
      return plans.map(({ plan, rec }, i) => ({ rec: patchLead(ctx, ctx.store.leads.get(rec.id) ?? rec, plan, by), requestId: items[i]?.requestId ?? String(i) }));
    };

    app.patch('/api/v4/leads', async (req, reply) => {
      const base = baseUrl(req);
      const out = patchMany(req, req.body).map(({ rec, requestId }) => ({ id: rec.id, updated_at: rec.updated_at, request_id: requestId, _links: { self: { href: `${base}/api/v4/leads/${rec.id}` } } }));
      return sendHal(reply, { _links: link(req, '/api/v4/leads'), _embedded: { leads: out } });
    });

    app.patch('/api/v4/leads/:id', async (req, reply) => {
      const id = parseIdParam((req.params as { id: string }).id);
      if (!isObj(req.body) || Object.keys(req.body).length === 0) throw fail(400, 'Request data can not be empty');
      const [res] = patchMany(req, [{ ...req.body, id }]);
      if (!res) throw fail(400, 'Request data can not be empty');
      return sendHal(reply, { id: res.rec.id, updated_at: res.rec.updated_at, _links: link(req, `/api/v4/leads/${res.rec.id}`) });
    });
  };
}
