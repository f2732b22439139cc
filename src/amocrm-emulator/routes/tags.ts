// Tag dictionaries per entity (fact sheet §7.10) and the tag semantics of entity writes.
import type { FastifyInstance } from 'fastify';
import type { Tag } from '../../amocrm/types.js';
import type { EmuCtx } from '../context.js';
import { asList, link, sendHal, sendPage } from '../hal.js';
import { findOrCreateTag, nextId, type EmulatorStore, type TagEntity } from '../state.js';
import { batchItems, err, isObj, throwIfErrors, type Obj } from '../validation.js';

function refs(v: unknown): { id?: number; name?: string }[] {
  return Array.isArray(v) ? v.filter(isObj).map((t) => ({ ...(typeof t.id === 'number' ? { id: t.id } : {}), ...(typeof t.name === 'string' ? { name: t.name } : {}) })) : [];
}

/** `_embedded.tags` replaces (null detaches all); `tags_to_add`/`tags_to_delete` are incremental. */
export function applyTags(store: EmulatorStore, entity: TagEntity, current: number[], item: Obj): number[] {
  let tags = [...current];
  const emb = isObj(item._embedded) ? item._embedded : undefined;
  if (emb && 'tags' in emb) {
    tags = emb.tags === null ? [] : refs(emb.tags).map((r) => findOrCreateTag(store, entity, r)?.id).filter((x): x is number => x !== undefined);
  }
  for (const r of refs(item.tags_to_add)) {
    const t = findOrCreateTag(store, entity, r);
    if (t && !tags.includes(t.id)) tags.push(t.id);
  }
  for (const r of refs(item.tags_to_delete)) {
    const dict = [...store.tags[entity].values()];
    const t = r.id !== undefined ? store.tags[entity].get(r.id) : dict.find((x) => x.name === r.name);
    if (t) tags = tags.filter((x) => x !== t.id);
  }
  return [...new Set(tags)];
}

export function tagRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const entity of ['leads', 'contacts', 'companies', 'customers'] as const) {
      app.get(`/api/v4/${entity}/tags`, async (req, reply) => {
        const q = req.query as Record<string, unknown>;
        const f = isObj(q.filter) ? q.filter : {};
        let all = [...ctx.store.tags[entity].values()];
        if (typeof f.name === 'string') all = all.filter((t) => t.name === f.name);
        const ids = asList(f.id).map(Number);
        if (ids.length) all = all.filter((t) => ids.includes(t.id));
        if (typeof q.query === 'string') all = all.filter((t) => t.name.toLowerCase().includes(String(q.query).toLowerCase()));
        return sendPage(req, reply, 'tags', all, { render: (t) => t });
      });
      app.post(`/api/v4/${entity}/tags`, async (req, reply) => {
        const items = batchItems(req.body);
        const entries = items.map(({ item, requestId }) => ({
          request_id: requestId,
          errors: typeof item.name === 'string' && item.name !== '' ? [] : [err('NotBlank', 'name')],
        }));
        throwIfErrors(entries);
        const out = items.map(({ item, requestId }) => {
          const existing = [...ctx.store.tags[entity].values()].find((t) => t.name === item.name);
          const tag: Tag = existing ?? { id: nextId(ctx.store, 'tag'), name: String(item.name), color: entity === 'leads' && typeof item.color === 'string' ? item.color : null };
          ctx.store.tags[entity].set(tag.id, tag);
          return { ...tag, request_id: requestId };
        });
        return sendHal(reply, { _links: link(req, `/api/v4/${entity}/tags`), _embedded: { tags: out } });
      });
    }
  };
}
