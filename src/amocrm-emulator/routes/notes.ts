// Notes per entity (fact sheet §7.8): create (array, entity_id in item or path), list, get (under the entity or by id).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Note, NoteType, ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, type EmuCtx } from '../context.js';
import { asList, baseUrl, link, parseIdParam, sendHal, sendPage } from '../hal.js';
import { fail } from '../problems.js';
import { nextId } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors } from '../validation.js';

const TYPES: NoteType[] = ['common', 'call_in', 'call_out', 'service_message', 'message_cashier', 'geolocation', 'sms_in', 'sms_out', 'extended_service_message', 'attachment'];

export function noteRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const entity of ['leads', 'contacts', 'companies'] as const) {
      const exists = (id: number): boolean => (entity === 'leads' ? ctx.store.leads.has(id) : ctx.store.contacts.get(id)?.kind === (entity === 'contacts' ? 'contact' : 'company'));
      const render = (b: string, n: Note) => {
        const { entity_type: _e, ...rest } = n as Note & { entity_type?: string };
        return { ...rest, _links: { self: { href: `${b}/api/v4/${entity}/${n.entity_id}/notes/${n.id}` } } };
      };
      const create = async (req: FastifyRequest, pathId?: number) => {
        const items = batchItems(req.body);
        const entries = items.map(({ item, requestId }) => {
          const errors: ValidationErrorEntry['errors'] = [];
          const eid = pathId ?? item.entity_id;
          if (!isInt(eid)) errors.push(err(eid === undefined ? 'NotBlank' : 'InvalidType', 'entity_id'));
          else if (!exists(eid)) errors.push(err('NotFound', 'entity_id'));
          if (typeof item.note_type !== 'string' || !TYPES.includes(item.note_type as NoteType)) errors.push(err('NotSupportedChoice', 'note_type'));
          if (!isObj(item.params)) errors.push(err('NotBlank', 'params'));
          else if ((item.note_type === 'common' || item.note_type === 'service_message') && (typeof item.params.text !== 'string' || item.params.text === '')) errors.push(err('NotBlank', 'params.text'));
          return { request_id: requestId, errors };
        });
        throwIfErrors(entries);
        const by = actor(req);
        const b = baseUrl(req);
        return items.map(({ item, requestId }) => {
          const now = ctx.nowSec();
          const n: Note & { entity_type: typeof entity } = {
            id: nextId(ctx.store, 'note'),
            entity_id: Number(pathId ?? item.entity_id),
            created_by: isInt(item.created_by) ? item.created_by : by,
            updated_by: by,
            created_at: now,
            updated_at: now,
            responsible_user_id: isInt(item.responsible_user_id) ? item.responsible_user_id : by,
            group_id: 0,
            note_type: item.note_type as NoteType,
            params: isObj(item.params) ? item.params : {},
            account_id: ctx.store.accountId,
            entity_type: entity,
          };
          ctx.store.notes.set(n.id, n);
          ctx.effects.noteAdded(n, entity, by);
          return { id: n.id, entity_id: n.entity_id, request_id: requestId, _links: { self: { href: `${b}/api/v4/${entity}/${n.entity_id}/notes/${n.id}` } } };
        });
      };
      const list = (req: FastifyRequest, reply: import('fastify').FastifyReply, entityId?: number) => {
        const q = req.query as Record<string, unknown>;
        const f = isObj(q.filter) ? q.filter : {};
        let all = [...ctx.store.notes.values()].filter((n) => n.entity_type === entity && (entityId === undefined || n.entity_id === entityId));
        const types = asList(f.note_type);
        if (types.length) all = all.filter((n) => types.includes(n.note_type));
        const ids = asList(f.entity_id).map(Number);
        if (ids.length) all = all.filter((n) => ids.includes(n.entity_id));
        const b = baseUrl(req);
        return sendPage(req, reply, 'notes', all, { render: (n) => render(b, n) });
      };
      app.post(`/api/v4/${entity}/notes`, async (req, reply) => sendHal(reply, { _links: link(req, `/api/v4/${entity}/notes`), _embedded: { notes: await create(req) } }));
      app.post(`/api/v4/${entity}/:id/notes`, async (req, reply) => {
        const id = parseIdParam((req.params as { id: string }).id);
        if (!id) throw fail(404, 'Not found');
        return sendHal(reply, { _links: link(req, `/api/v4/${entity}/${id}/notes`), _embedded: { notes: await create(req, id) } });
      });
      app.get(`/api/v4/${entity}/notes`, async (req, reply) => list(req, reply));
      app.get(`/api/v4/${entity}/:id/notes`, async (req, reply) => list(req, reply, parseIdParam((req.params as { id: string }).id) ?? -1));
      const getOne = async (req: FastifyRequest, reply: import('fastify').FastifyReply, entityId?: number) => {
        const n = ctx.store.notes.get(Number((req.params as { nid: string }).nid));
        if (!n || n.entity_type !== entity || (entityId !== undefined && n.entity_id !== entityId)) return reply.code(204).send();
        return sendHal(reply, render(baseUrl(req), n));
      };
      // By id under the entity (`/leads/{id}/notes/{nid}`) and by id alone (`/leads/notes/{nid}`): both are documented.
      app.get(`/api/v4/${entity}/:id/notes/:nid`, async (req, reply) => getOne(req, reply, parseIdParam((req.params as { id: string }).id) ?? -1));
      app.get(`/api/v4/${entity}/notes/:nid`, async (req, reply) => getOne(req, reply));
    }
  };
}
