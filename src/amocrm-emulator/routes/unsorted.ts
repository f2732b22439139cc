// Unsorted (incoming leads), fact sheet §7.11: forms create, list/get, accept, decline; entities hidden until accepted.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, type EmuCtx } from '../context.js';
import { asList, baseUrl, inRange, link, range, sendHal, sendPage } from '../hal.js';
import { checkContact, checkLead, createContact, createLead, linkContactCompany, type ContactPlan, type LeadPlan } from '../lead-write.js';
import { fail } from '../problems.js';
import { firstStage, mainPipeline, nextId, unsortedStage, type UnsortedRec } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors, type Obj } from '../validation.js';

export function createUnsortedRecord(
  ctx: EmuCtx,
  u: { uid: string; category: 'forms' | 'sip'; sourceUid: string; sourceName: string; pipelineId: number; metadata: Obj; requestId: string; leads: number[]; contacts: number[]; companies: number[]; dupKey?: string },
): UnsortedRec {
  const rec: UnsortedRec = {
    uid: u.uid,
    source_uid: u.sourceUid,
    source_name: u.sourceName,
    category: u.category,
    pipeline_id: u.pipelineId,
    created_at: ctx.nowSec(),
    metadata: u.metadata,
    request_id: u.requestId,
    leads: u.leads,
    contacts: u.contacts,
    companies: u.companies,
    state: 'pending',
    dupKey: u.dupKey ?? u.uid,
  };
  ctx.store.unsorted.set(rec.uid, rec);
  return rec;
}

function render(ctx: EmuCtx, req: FastifyRequest, u: UnsortedRec): Record<string, unknown> {
  return {
    uid: u.uid,
    source_uid: u.source_uid,
    source_name: u.source_name,
    category: u.category,
    pipeline_id: u.pipeline_id,
    created_at: u.created_at,
    metadata: u.metadata,
    account_id: ctx.store.accountId,
    _links: link(req, `/api/v4/leads/unsorted/${u.uid}`),
    _embedded: { leads: u.leads.map((id) => ({ id })), contacts: u.contacts.map((id) => ({ id })), companies: u.companies.map((id) => ({ id })) },
  };
}

export function unsortedRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v4/leads/unsorted/forms', async (req, reply) => {
      const items = batchItems(req.body);
      const plans: { lead: LeadPlan; contacts: ContactPlan[]; companies: ContactPlan[]; item: Obj; requestId: string; dupKey: string }[] = [];
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        for (const k of ['source_uid', 'source_name'] as const) if (typeof item[k] !== 'string' || item[k] === '') errors.push(err('NotBlank', k));
        if (!isObj(item.metadata)) errors.push(err('NotBlank', 'metadata'));
        if (item.pipeline_id !== undefined && (!isInt(item.pipeline_id) || !ctx.store.pipelines.has(item.pipeline_id))) errors.push(err('NotSupportedChoice', 'pipeline_id'));
        const emb = isObj(item._embedded) ? item._embedded : {};
        const leads = Array.isArray(emb.leads) ? emb.leads.filter(isObj) : [];
        const lead = checkLead(ctx, leads[0] ?? {}, '_embedded.leads.0.', errors);
        const contacts = (Array.isArray(emb.contacts) ? emb.contacts.filter(isObj) : []).map((c, i) => checkContact(ctx, 'contact', c, `_embedded.contacts.${i}.`, errors));
        const companies = (Array.isArray(emb.companies) ? emb.companies.filter(isObj) : []).map((c, i) => checkContact(ctx, 'company', c, `_embedded.companies.${i}.`, errors));
        const dupKey = JSON.stringify([item.source_uid, item._embedded, item.metadata]);
        const dup = [...ctx.store.unsorted.values()].some((u) => u.state === 'pending' && u.dupKey === dupKey) || plans.some((p) => p.dupKey === dupKey);
        if (dup) errors.push(err('Duplicate', '', 'Two identical entities cannot be in unsorted'));
        plans.push({ lead, contacts, companies, item, requestId, dupKey });
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const by = actor(req);
      const out = plans.map((p) => {
        const pipeline = isInt(p.item.pipeline_id) ? (ctx.store.pipelines.get(p.item.pipeline_id) ?? mainPipeline(ctx.store)) : mainPipeline(ctx.store);
        const stage = unsortedStage(pipeline) ?? firstStage(pipeline);
        const lead = createLead(ctx, p.lead, by, { pipelineId: pipeline.id, statusId: stage.id });
        lead.hidden = true;
        const contacts = p.contacts.map((c) => createContact(ctx, 'contact', c, by, true).id);
        const companies = p.companies.map((c) => createContact(ctx, 'company', c, by, true).id);
        lead.contacts = contacts.map((id, i) => ({ id, is_main: i === 0 }));
        lead.companies = companies.slice(0, 1);
        if (contacts[0] !== undefined && companies[0] !== undefined) linkContactCompany(ctx, contacts[0], companies[0]);
        const u = createUnsortedRecord(ctx, {
          uid: `${nextId(ctx.store, 'unsorted').toString(16).padStart(8, '0')}${Date.now().toString(16)}`,
          category: 'forms',
          sourceUid: String(p.item.source_uid),
          sourceName: String(p.item.source_name),
          pipelineId: pipeline.id,
          metadata: isObj(p.item.metadata) ? p.item.metadata : {},
          requestId: p.requestId,
          leads: [lead.id],
          contacts,
          companies,
          dupKey: p.dupKey,
        });
        return { uid: u.uid, account_id: ctx.store.accountId, request_id: p.requestId, _embedded: { contacts: contacts.map((id) => ({ id })), leads: [{ id: lead.id }], companies: companies.map((id) => ({ id })) } };
      });
      return sendHal(reply, { _total_items: out.length, _links: link(req, '/api/v4/leads/unsorted/forms'), _embedded: { unsorted: out } });
    });

    app.get('/api/v4/leads/unsorted', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const f = isObj(q.filter) ? q.filter : {};
      let all = [...ctx.store.unsorted.values()].filter((u) => u.state === 'pending');
      const uids = asList(f.uid);
      if (uids.length) all = all.filter((u) => uids.includes(u.uid));
      const cats = asList(f.category);
      if (cats.length) all = all.filter((u) => cats.includes(u.category));
      if (f.pipeline_id !== undefined) all = all.filter((u) => u.pipeline_id === Number(f.pipeline_id));
      return sendPage(req, reply, 'unsorted', all, { totals: true, render: (u) => render(ctx, req, u) });
    });

    // GET /api/v4/leads/unsorted/summary (RU docs crm-platform-unsorted-api): totals by state and category, with
    // filter[created_at][from|to], filter[pipeline_id], filter[uid].
    app.get('/api/v4/leads/unsorted/summary', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const f = isObj(q.filter) ? q.filter : {};
      let all = [...ctx.store.unsorted.values()];
      const uids = asList(f.uid);
      if (uids.length) all = all.filter((u) => uids.includes(u.uid));
      if (f.pipeline_id !== undefined) all = all.filter((u) => u.pipeline_id === Number(f.pipeline_id));
      const r = range(f.created_at);
      if (r) all = all.filter((u) => inRange(u.created_at, r));
      const categories: Record<string, number> = { forms: 0, sip: 0, chats: 0, mail: 0 };
      for (const u of all) categories[u.category] = (categories[u.category] ?? 0) + 1;
      return sendHal(reply, {
        total: all.length,
        accepted: all.filter((u) => u.state === 'accepted').length,
        declined: all.filter((u) => u.state === 'declined').length,
        average_sort_time: 0,
        categories,
        _links: link(req, '/api/v4/leads/unsorted/summary'),
      });
    });

    app.get('/api/v4/leads/unsorted/:uid', async (req, reply) => {
      const u = ctx.store.unsorted.get((req.params as { uid: string }).uid);
      if (!u) throw fail(404, 'Unsorted not found');
      return sendHal(reply, render(ctx, req, u));
    });

    const decide = (accept: boolean) => async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const u = ctx.store.unsorted.get((req.params as { uid: string }).uid);
      if (!u || u.state !== 'pending') throw fail(404, 'Unsorted not found');
      const b = isObj(req.body) ? req.body : {};
      const by = isInt(b.user_id) ? b.user_id : actor(req);
      const pipeline = ctx.store.pipelines.get(u.pipeline_id) ?? mainPipeline(ctx.store);
      const statusId = accept && isInt(b.status_id) && pipeline.statuses.some((s) => s.id === b.status_id) ? b.status_id : firstStage(pipeline).id;
      u.state = accept ? 'accepted' : 'declined';
      for (const id of [...u.contacts, ...u.companies]) {
        const c = ctx.store.contacts.get(id);
        if (!c) continue;
        c.hidden = false;
        if (accept) ctx.effects.contactAdded(c, by);
        else c.is_deleted = true;
      }
      for (const id of u.leads) {
        const l = ctx.store.leads.get(id);
        if (!l) continue;
        if (accept) {
          l.hidden = false;
          ctx.effects.leadAdded(l, by);
          const before = structuredClone(l);
          l.status_id = statusId;
          l.updated_at = ctx.nowSec();
          l.updated_by = by;
          ctx.effects.leadChanged(before, l, by);
        } else {
          l.is_deleted = true;
        }
      }
      return sendHal(reply, {
        uid: u.uid,
        pipeline_id: u.pipeline_id,
        category: u.category,
        created_at: u.created_at,
        _embedded: { leads: u.leads.map((id) => ({ id })), contacts: u.contacts.map((id) => ({ id })), companies: u.companies.map((id) => ({ id })) },
        _links: link(req, `/api/v4/leads/unsorted/${u.uid}`),
      });
    };
    app.post('/api/v4/leads/unsorted/:uid/accept', decide(true));
    app.delete('/api/v4/leads/unsorted/:uid/decline', decide(false));
    void baseUrl;
  };
}
