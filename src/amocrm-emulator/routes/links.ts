// Entity links (fact sheet §7.13): POST /{entity}/{id}/link|unlink, GET /{entity}/{id}/links.
import type { FastifyInstance } from 'fastify';
import type { ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, type EmuCtx } from '../context.js';
import { link, parseIdParam, sendHal, sendNoContent } from '../hal.js';
import { fail } from '../problems.js';
import type { ContactRec, LeadRec } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors } from '../validation.js';

const ALLOWED: Record<string, string[]> = { leads: ['contacts', 'companies'], contacts: ['companies'], companies: ['contacts', 'leads'] };

export function linkRoutes(ctx: EmuCtx) {
  const findTo = (type: string, id: number): boolean =>
    type === 'leads' ? ctx.store.leads.has(id) : ctx.store.contacts.get(id)?.kind === (type === 'contacts' ? 'contact' : 'company');
  const current = (entity: string, id: number): { to_entity_id: number; to_entity_type: string; metadata: Record<string, unknown> | null }[] => {
    if (entity === 'leads') {
      const l = ctx.store.leads.get(id);
      if (!l) return [];
      return [
        ...l.contacts.map((c) => ({ to_entity_id: c.id, to_entity_type: 'contacts', metadata: { main_contact: c.is_main } })),
        ...l.companies.map((c) => ({ to_entity_id: c, to_entity_type: 'companies', metadata: null })),
      ];
    }
    const c = ctx.store.contacts.get(id);
    if (!c) return [];
    return c.companies.map((x) => ({ to_entity_id: x, to_entity_type: entity === 'contacts' ? 'companies' : 'contacts', metadata: null }));
  };
  return async (app: FastifyInstance): Promise<void> => {
    for (const entity of ['leads', 'contacts', 'companies'] as const) {
      app.get(`/api/v4/${entity}/:id/links`, async (req, reply) => {
        const id = parseIdParam((req.params as { id: string }).id) ?? -1;
        const links = current(entity, id).map((l) => ({ entity_id: id, entity_type: entity, ...l }));
        if (!links.length) return sendNoContent(reply);
        return sendHal(reply, { _total_items: links.length, _links: link(req, `/api/v4/${entity}/${id}/links`), _embedded: { links } });
      });
      for (const op of ['link', 'unlink'] as const) {
        app.post(`/api/v4/${entity}/:id/${op}`, async (req, reply) => {
          const id = parseIdParam((req.params as { id: string }).id) ?? -1;
          const self: LeadRec | ContactRec | undefined = entity === 'leads' ? ctx.store.leads.get(id) : ctx.store.contacts.get(id);
          if (!self) throw fail(404, 'Entity not found');
          const items = batchItems(req.body);
          const entries = items.map(({ item, requestId }) => {
            const errors: ValidationErrorEntry['errors'] = [];
            const t = String(item.to_entity_type);
            if (!(ALLOWED[entity] ?? []).includes(t)) errors.push(err('NotSupportedChoice', 'to_entity_type'));
            else if (!isInt(item.to_entity_id) || !findTo(t, item.to_entity_id)) errors.push(err('NotFound', 'to_entity_id'));
            return { request_id: requestId, errors };
          });
          throwIfErrors(entries);
          const by = actor(req);
          const beforeLead = entity === 'leads' ? structuredClone(self as LeadRec) : undefined;
          for (const { item } of items) {
            const tid = Number(item.to_entity_id);
            const t = String(item.to_entity_type);
            if (entity === 'leads') {
              const l = self as LeadRec;
              if (t === 'contacts') {
                if (op === 'link' && !l.contacts.some((c) => c.id === tid)) l.contacts.push({ id: tid, is_main: isObj(item.metadata) ? item.metadata.is_main === true || l.contacts.length === 0 : l.contacts.length === 0 });
                if (op === 'unlink') l.contacts = l.contacts.filter((c) => c.id !== tid);
              } else {
                if (op === 'link') l.companies = [tid];
                else l.companies = l.companies.filter((c) => c !== tid);
              }
            } else if (t === 'leads') {
              const l = ctx.store.leads.get(tid);
              if (l && op === 'link' && !l.companies.includes(id)) l.companies = [id];
              if (l && op === 'unlink') l.companies = l.companies.filter((c) => c !== id);
            } else {
              const a = self as ContactRec;
              const b = ctx.store.contacts.get(tid);
              if (op === 'link') {
                if (!a.companies.includes(tid)) a.companies.push(tid);
                if (b && !b.companies.includes(id)) b.companies.push(id);
              } else {
                a.companies = a.companies.filter((x) => x !== tid);
                if (b) b.companies = b.companies.filter((x) => x !== id);
              }
            }
          }
          if (beforeLead) {
            const l = self as LeadRec;
            l.updated_at = ctx.nowSec();
            ctx.effects.leadChanged(beforeLead, l, by);
          }
          if (op === 'unlink') return sendNoContent(reply);
          const links = items.map(({ item }) => ({ entity_id: id, entity_type: entity, to_entity_id: item.to_entity_id, to_entity_type: item.to_entity_type, metadata: isObj(item.metadata) ? item.metadata : null }));
          return sendHal(reply, { _total_items: links.length, _links: link(req, `/api/v4/${entity}/${id}/link`), _embedded: { links } });
        });
      }
    }
  };
}
