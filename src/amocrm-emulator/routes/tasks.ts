// Tasks (fact sheet §7.9): text + complete_till required; empty result serialises as [].
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EntityType, Task, ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, type EmuCtx } from '../context.js';
import { asList, baseUrl, link, parseIdParam, sendHal, sendNoContent, sendPage, applyOrder } from '../hal.js';
import { fail } from '../problems.js';
import { toTask } from '../serialize.js';
import { nextId } from '../state.js';
import { batchItems, checkTypes, err, isInt, isObj, throwIfErrors, type Obj } from '../validation.js';

const ENTITY_TYPES: EntityType[] = ['leads', 'contacts', 'companies', 'customers'];

export function taskRoutes(ctx: EmuCtx) {
  const check = (item: Obj, creating: boolean, errors: ValidationErrorEntry['errors']): void => {
    checkTypes(item, { text: 'string', complete_till: 'int', entity_id: 'int', task_type_id: 'int', responsible_user_id: 'int', duration: 'int', is_completed: 'bool' }, '', errors);
    if (creating && (item.text === undefined || item.text === '')) errors.push(err('NotBlank', 'text'));
    if (creating && item.complete_till === undefined) errors.push(err('NotBlank', 'complete_till'));
    if (item.entity_type !== undefined && !ENTITY_TYPES.includes(item.entity_type as EntityType)) errors.push(err('NotSupportedChoice', 'entity_type'));
    if (item.result !== undefined && (!isObj(item.result) || typeof item.result.text !== 'string')) errors.push(err('InvalidType', 'result.text'));
  };
  const patch = (req: FastifyRequest, body: unknown) => {
    const items = batchItems(body);
    const entries = items.map(({ item, requestId }) => {
      const errors: ValidationErrorEntry['errors'] = [];
      if (!isInt(item.id) || !ctx.store.tasks.has(item.id)) errors.push(err('NotFound', 'id'));
      check(item, false, errors);
      return { request_id: requestId, errors };
    });
    throwIfErrors(entries);
    const by = actor(req);
    return items.map(({ item, requestId }) => {
      const before = ctx.store.tasks.get(Number(item.id)) as Task;
      const a: Task = structuredClone(before);
      if (typeof item.text === 'string') a.text = item.text;
      if (isInt(item.complete_till)) a.complete_till = item.complete_till;
      if (isInt(item.responsible_user_id)) a.responsible_user_id = item.responsible_user_id;
      if (isInt(item.task_type_id)) a.task_type_id = item.task_type_id;
      if (typeof item.is_completed === 'boolean') a.is_completed = item.is_completed;
      if (isObj(item.result)) a.result = { text: String(item.result.text) };
      a.updated_at = ctx.nowSec();
      a.updated_by = by;
      ctx.store.tasks.set(a.id, a);
      ctx.effects.taskChanged(before, a, by);
      return { task: a, requestId };
    });
  };
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/tasks', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const f = isObj(q.filter) ? q.filter : {};
      let all = [...ctx.store.tasks.values()];
      const ids = asList(f.id).map(Number);
      if (ids.length) all = all.filter((t) => ids.includes(t.id));
      const eids = asList(f.entity_id).map(Number);
      if (eids.length) all = all.filter((t) => t.entity_id !== null && eids.includes(t.entity_id));
      if (typeof f.entity_type === 'string') all = all.filter((t) => t.entity_type === f.entity_type);
      if (f.is_completed !== undefined) all = all.filter((t) => t.is_completed === (String(f.is_completed) === '1' || f.is_completed === 'true'));
      const rids = asList(f.responsible_user_id).map(Number);
      if (rids.length) all = all.filter((t) => rids.includes(t.responsible_user_id));
      applyOrder(req, all, ['created_at', 'complete_till', 'id'], (x, k) => Number(x[k as keyof Task] ?? 0));
      const b = baseUrl(req);
      return sendPage(req, reply, 'tasks', all, { render: (t) => toTask(b, t) });
    });
    app.get('/api/v4/tasks/:id', async (req, reply) => {
      const t = ctx.store.tasks.get(parseIdParam((req.params as { id: string }).id) ?? -1);
      if (!t) return sendNoContent(reply);
      return sendHal(reply, toTask(baseUrl(req), t));
    });
    app.post('/api/v4/tasks', async (req, reply) => {
      const items = batchItems(req.body);
      const entries = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        check(item, true, errors);
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const by = actor(req);
      const b = baseUrl(req);
      const out = items.map(({ item, requestId }) => {
        const now = ctx.nowSec();
        const t: Task = {
          id: nextId(ctx.store, 'task'),
          created_by: by,
          updated_by: by,
          created_at: now,
          updated_at: now,
          responsible_user_id: isInt(item.responsible_user_id) ? item.responsible_user_id : by,
          group_id: 0,
          entity_id: isInt(item.entity_id) ? item.entity_id : null,
          entity_type: typeof item.entity_type === 'string' ? (item.entity_type as EntityType) : null,
          is_completed: item.is_completed === true,
          task_type_id: isInt(item.task_type_id) ? item.task_type_id : 1,
          text: String(item.text),
          duration: isInt(item.duration) ? item.duration : 0,
          complete_till: Number(item.complete_till),
          result: [],
          account_id: ctx.store.accountId,
        };
        ctx.store.tasks.set(t.id, t);
        if (t.entity_type === 'leads' && t.entity_id !== null) {
          const l = ctx.store.leads.get(t.entity_id);
          if (l && (l.closest_task_at === null || t.complete_till < l.closest_task_at)) l.closest_task_at = t.complete_till;
        }
        ctx.effects.taskAdded(t, by);
        return { id: t.id, request_id: requestId, _links: { self: { href: `${b}/api/v4/tasks/${t.id}` } } };
      });
      return sendHal(reply, { _links: link(req, '/api/v4/tasks'), _embedded: { tasks: out } });
    });
    app.patch('/api/v4/tasks', async (req, reply) => {
      const b = baseUrl(req);
      const out = patch(req, req.body).map(({ task, requestId }) => ({ id: task.id, updated_at: task.updated_at, request_id: requestId, _links: { self: { href: `${b}/api/v4/tasks/${task.id}` } } }));
      return sendHal(reply, { _links: link(req, '/api/v4/tasks'), _embedded: { tasks: out } });
    });
    app.patch('/api/v4/tasks/:id', async (req, reply) => {
      if (!isObj(req.body)) throw fail(400, 'Request data can not be empty');
      const [res] = patch(req, [{ ...req.body, id: parseIdParam((req.params as { id: string }).id) }]);
      if (!res) throw fail(400, 'Request data can not be empty');
      return sendHal(reply, { id: res.task.id, updated_at: res.task.updated_at, _links: link(req, `/api/v4/tasks/${res.task.id}`) });
    });
  };
}
