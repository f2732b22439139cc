// Contacts and companies (fact sheet §7.3–§7.4): list (query over names, phone digits, emails), get, batch create/patch.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, withList, type EmuCtx } from '../context.js';
import { applyOrder, asList, baseUrl, inRange, link, parseIdParam, range, sendHal, sendNoContent, sendPage } from '../hal.js';
import { searchableAt } from './leads.js';
import { checkContact, createContact, patchContact, type ContactPlan } from '../lead-write.js';
import { fail } from '../problems.js';
import { toCompany, toContact } from '../serialize.js';
import type { ContactRec } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors } from '../validation.js';

export function matchesQuery(c: ContactRec, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  const texts = [c.name, c.first_name, c.last_name, ...c.cfv.flatMap((f) => f.values.map((v) => String(v.value)))].map((s) => s.toLowerCase());
  if (texts.some((t) => t.includes(needle))) return true;
  const digits = needle.replace(/\D/g, '');
  if (digits.length < 4 || /[a-zа-я@]/i.test(needle)) return false;
  return c.cfv.filter((f) => f.field_type === 'multitext').some((f) => f.values.some((v) => String(v.value).replace(/\D/g, '').includes(digits)));
}

export function contactRoutes(ctx: EmuCtx, kind: 'contact' | 'company') {
  const entity = kind === 'contact' ? 'contacts' : 'companies';
  const render = (req: FastifyRequest, r: ContactRec, withs: string[]) => (kind === 'contact' ? toContact(ctx.store, baseUrl(req), r, withs) : toCompany(ctx.store, baseUrl(req), r, withs));
  const visible = (r: ContactRec | undefined): r is ContactRec => !!r && r.kind === kind && !r.hidden && !r.is_deleted;

  return async (app: FastifyInstance): Promise<void> => {
    app.get(`/api/v4/${entity}`, async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const f = isObj(q.filter) ? q.filter : {};
      let all = [...ctx.store.contacts.values()].filter(visible);
      if (typeof q.query === 'string' || typeof q.query === 'number') {
        const indexed = searchableAt(ctx);
        all = all.filter((c) => indexed(c) && matchesQuery(c, String(q.query)));
      }
      const ids = asList(f.id).map(Number);
      if (ids.length) all = all.filter((c) => ids.includes(c.id));
      if (typeof f.name === 'string') all = all.filter((c) => c.name === f.name);
      for (const k of ['created_at', 'updated_at'] as const) {
        const r = range(f[k]);
        if (r) all = all.filter((c) => inRange(c[k], r));
      }
      applyOrder(req, all, ['updated_at', 'id'], (x, k) => Number(x[k as keyof ContactRec] ?? 0), { key: 'updated_at', dir: 'asc' });
      const withs = withList(req);
      return sendPage(req, reply, entity, all, { itemLinksKeepQuery: true, render: (c) => render(req, c, withs) });
    });

    app.get(`/api/v4/${entity}/:id`, async (req, reply) => {
      const id = parseIdParam((req.params as { id: string }).id);
      const c = id ? ctx.store.contacts.get(id) : undefined;
      if (!visible(c)) return sendNoContent(reply);
      return sendHal(reply, render(req, c, withList(req)));
    });

    app.post(`/api/v4/${entity}`, async (req, reply) => {
      const items = batchItems(req.body);
      const plans: ContactPlan[] = [];
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        plans.push(checkContact(ctx, kind, item, '', errors));
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const by = actor(req);
      const base = baseUrl(req);
      const out = plans.map((p, i) => {
        const r = createContact(ctx, kind, p, by);
        return { id: r.id, request_id: items[i]?.requestId ?? String(i), _links: { self: { href: `${base}/api/v4/${entity}/${r.id}` } } };
      });
      return sendHal(reply, { _links: link(req, `/api/v4/${entity}`), _embedded: { [entity]: out } });
    });

    const patchMany = (req: FastifyRequest, body: unknown) => {
      const items = batchItems(body);
      const plans: { plan: ContactPlan; rec: ContactRec; requestId: string }[] = [];
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        const rec = isInt(item.id) ? ctx.store.contacts.get(item.id) : undefined;
        if (item.id === undefined) errors.push(err('NotBlank', 'id'));
        else if (!visible(rec)) errors.push(err('NotFound', 'id'));
        const plan = checkContact(ctx, kind, item, '', errors);
        if (rec) plans.push({ plan, rec, requestId });
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const by = actor(req);
      return plans.map(({ plan, rec, requestId }) => ({ rec: patchContact(ctx, ctx.store.contacts.get(rec.id) ?? rec, plan, by), requestId }));
    };

    app.patch(`/api/v4/${entity}`, async (req, reply) => {
      const base = baseUrl(req);
      const out = patchMany(req, req.body).map(({ rec, requestId }) => ({ id: rec.id, updated_at: rec.updated_at, request_id: requestId, _links: { self: { href: `${base}/api/v4/${entity}/${rec.id}` } } }));
      return sendHal(reply, { _links: link(req, `/api/v4/${entity}`), _embedded: { [entity]: out } });
    });

    app.patch(`/api/v4/${entity}/:id`, async (req: FastifyRequest, reply: FastifyReply) => {
      const id = parseIdParam((req.params as { id: string }).id);
      if (!isObj(req.body) || Object.keys(req.body).length === 0) throw fail(400, 'Request data can not be empty');
      const [res] = patchMany(req, [{ ...req.body, id }]);
      if (!res) throw fail(400, 'Request data can not be empty');
      return sendHal(reply, { id: res.rec.id, updated_at: res.rec.updated_at, _links: link(req, `/api/v4/${entity}/${res.rec.id}`) });
    });
  };
}
