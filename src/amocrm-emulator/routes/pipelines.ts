// Pipelines and statuses (fact sheet §7.5): 142/143 shared, unsorted type 1, palette colours, admin-only writes.
import type { FastifyInstance } from 'fastify';
import type { Status, ValidationErrorEntry } from '../../amocrm/types.js';
import { requireAdmin, type EmuCtx } from '../context.js';
import { baseUrl, link, parseIdParam, sendHal, sendNoContent } from '../hal.js';
import { fail } from '../problems.js';
import { newStatus, systemStatuses } from '../seed.js';
import { toPipeline, toStatus } from '../serialize.js';
import { firstStage, nextId, type PipelineRec } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors, type Obj } from '../validation.js';

export const PALETTE = ['#fffeb2', '#fffd7f', '#fff000', '#ffeab2', '#ffdc7f', '#ffce5a', '#ffdbdb', '#ffc8c8', '#ff8f92', '#d6eaff', '#c1e0ff', '#98cbff', '#ebffb1', '#deff81', '#87f2c0', '#f9deff', '#f3beff', '#ccc8f9', '#eb93ff', '#f2f3f4', '#e6e8ea', '#99ccff', '#ffcc66', '#c1c1c1'];

function checkStatus(s: Obj, path: string, errors: ValidationErrorEntry['errors'], creating: boolean): void {
  if (creating && (typeof s.name !== 'string' || s.name === '')) errors.push(err('NotBlank', `${path}name`));
  if (s.sort !== undefined && !isInt(s.sort)) errors.push(err('InvalidType', `${path}sort`));
  if (s.color !== undefined && (typeof s.color !== 'string' || !PALETTE.includes(s.color.toLowerCase()))) errors.push(err('NotSupportedChoice', `${path}color`));
}

export function pipelineRoutes(ctx: EmuCtx) {
  const getP = (id: unknown): PipelineRec => {
    const p = ctx.store.pipelines.get(parseIdParam(id) ?? -1);
    if (!p) throw fail(404, 'Pipeline not found');
    return p;
  };
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/leads/pipelines', async (req, reply) => {
      const list = [...ctx.store.pipelines.values()].sort((a, b) => a.sort - b.sort);
      return sendHal(reply, { _total_items: list.length, _links: link(req, '/api/v4/leads/pipelines'), _embedded: { pipelines: list.map((p) => toPipeline(ctx.store, baseUrl(req), p)) } });
    });
    app.get('/api/v4/leads/pipelines/:id', async (req, reply) => sendHal(reply, toPipeline(ctx.store, baseUrl(req), getP((req.params as { id: string }).id))));

    app.post('/api/v4/leads/pipelines', async (req, reply) => {
      requireAdmin(req);
      const items = batchItems(req.body);
      if (ctx.store.pipelines.size + items.length > 50) throw fail(422, 'Pipelines limit exceeded');
      const entries = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        if (typeof item.name !== 'string' || item.name === '') errors.push(err('NotBlank', 'name'));
        if (!isInt(item.sort)) errors.push(err(item.sort === undefined ? 'NotBlank' : 'InvalidType', 'sort'));
        for (const k of ['is_main', 'is_unsorted_on'] as const) if (typeof item[k] !== 'boolean') errors.push(err(item[k] === undefined ? 'NotBlank' : 'InvalidType', k));
        const st = isObj(item._embedded) && Array.isArray(item._embedded.statuses) ? item._embedded.statuses : [];
        st.forEach((s, i) => (isObj(s) ? checkStatus(s, `_embedded.statuses.${i}.`, errors, true) : errors.push(err('InvalidType', `_embedded.statuses.${i}`))));
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const out = items.map(({ item, requestId }) => {
        const id = nextId(ctx.store, 'pipeline');
        const sys = systemStatuses(ctx.store, id);
        const statuses: Status[] = [];
        if (item.is_unsorted_on === true) statuses.push(newStatus(ctx.store, id, 'Неразобранное', 10, '#c1c1c1', 1));
        const given = (isObj(item._embedded) && Array.isArray(item._embedded.statuses) ? item._embedded.statuses : []).filter(isObj);
        given.forEach((s, i) => {
          const systemOne = sys.find((x) => x.id === s.id);
          if (systemOne) systemOne.name = String(s.name);
          else statuses.push(newStatus(ctx.store, id, String(s.name), isInt(s.sort) ? s.sort : 20 + i * 10, typeof s.color === 'string' ? s.color : '#99ccff'));
        });
        if (!statuses.some((s) => s.type === 0)) statuses.push(newStatus(ctx.store, id, 'Первичный контакт', 20, '#99ccff'));
        if (item.is_main === true) for (const p of ctx.store.pipelines.values()) p.is_main = false;
        const p: PipelineRec = { id, name: String(item.name), sort: Number(item.sort), is_main: item.is_main === true, is_unsorted_on: item.is_unsorted_on === true, is_archive: false, statuses: [...statuses, ...sys] };
        ctx.store.pipelines.set(id, p);
        return { ...toPipeline(ctx.store, baseUrl(req), p), request_id: requestId };
      });
      return sendHal(reply, { _total_items: out.length, _links: link(req, '/api/v4/leads/pipelines'), _embedded: { pipelines: out } });
    });

    app.patch('/api/v4/leads/pipelines/:id', async (req, reply) => {
      requireAdmin(req);
      const p = getP((req.params as { id: string }).id);
      const b = isObj(req.body) ? req.body : {};
      if (typeof b.name === 'string') p.name = b.name;
      if (isInt(b.sort)) p.sort = b.sort;
      if (typeof b.is_unsorted_on === 'boolean') p.is_unsorted_on = b.is_unsorted_on;
      if (b.is_main === true) {
        for (const x of ctx.store.pipelines.values()) x.is_main = false;
        p.is_main = true;
      }
      return sendHal(reply, toPipeline(ctx.store, baseUrl(req), p));
    });

    app.delete('/api/v4/leads/pipelines/:id', async (req, reply) => {
      requireAdmin(req);
      const p = getP((req.params as { id: string }).id);
      if (ctx.store.pipelines.size <= 1) throw fail(400, 'Cannot delete the last pipeline');
      if (p.is_main) throw fail(400, 'Cannot delete the main pipeline');
      if ([...ctx.store.leads.values()].some((l) => l.pipeline_id === p.id && !l.is_deleted)) throw fail(400, 'Pipeline has leads');
      ctx.store.pipelines.delete(p.id);
      return sendNoContent(reply);
    });

    app.get('/api/v4/leads/pipelines/:id/statuses', async (req, reply) => {
      const p = getP((req.params as { id: string }).id);
      return sendHal(reply, { _total_items: p.statuses.length, _links: link(req, `/api/v4/leads/pipelines/${p.id}/statuses`), _embedded: { statuses: toPipeline(ctx.store, baseUrl(req), p)._embedded.statuses } });
    });
    app.get('/api/v4/leads/pipelines/:id/statuses/:sid', async (req, reply) => {
      const params = req.params as { id: string; sid: string };
      const s = getP(params.id).statuses.find((x) => x.id === Number(params.sid));
      if (!s) throw fail(404, 'Status not found');
      return sendHal(reply, toStatus(baseUrl(req), s));
    });
    app.post('/api/v4/leads/pipelines/:id/statuses', async (req, reply) => {
      requireAdmin(req);
      const p = getP((req.params as { id: string }).id);
      const items = batchItems(req.body);
      if (p.statuses.length + items.length > 100) throw fail(422, 'Statuses limit exceeded');
      const entries = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        checkStatus(item, '', errors, true);
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const out = items.map(({ item, requestId }) => {
        const s = newStatus(ctx.store, p.id, String(item.name), isInt(item.sort) ? item.sort : 100, typeof item.color === 'string' ? item.color : '#99ccff');
        p.statuses.push(s);
        return { ...toStatus(baseUrl(req), s), request_id: requestId };
      });
      return sendHal(reply, { _total_items: out.length, _embedded: { statuses: out } });
    });
    app.patch('/api/v4/leads/pipelines/:id/statuses/:sid', async (req, reply) => {
      requireAdmin(req);
      const params = req.params as { id: string; sid: string };
      const s = getP(params.id).statuses.find((x) => x.id === Number(params.sid));
      if (!s) throw fail(404, 'Status not found');
      const b = isObj(req.body) ? req.body : {};
      const errors: ValidationErrorEntry['errors'] = [];
      checkStatus(b, '', errors, false);
      throwIfErrors([{ request_id: '0', errors }]);
      if (typeof b.name === 'string') s.name = b.name;
      if (isInt(b.sort)) s.sort = b.sort;
      if (typeof b.color === 'string') s.color = b.color;
      return sendHal(reply, toStatus(baseUrl(req), s));
    });
    app.delete('/api/v4/leads/pipelines/:id/statuses/:sid', async (req, reply) => {
      requireAdmin(req);
      const params = req.params as { id: string; sid: string };
      const p = getP(params.id);
      const s = p.statuses.find((x) => x.id === Number(params.sid));
      if (!s) throw fail(404, 'Status not found');
      if (!s.is_editable) throw fail(400, 'Status is not deletable');
      p.statuses = p.statuses.filter((x) => x !== s);
      const to = firstStage(p).id;
      for (const l of ctx.store.leads.values()) if (l.pipeline_id === p.id && l.status_id === s.id) l.status_id = to;
      return sendNoContent(reply);
    });
  };
}
