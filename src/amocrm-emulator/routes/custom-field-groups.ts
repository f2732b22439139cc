// Custom-field groups per entity (fact sheet §7.6): list, get, create (array in, `_embedded.custom_field_groups` out),
// delete (predefined groups are not deletable; fields of a deleted group move back to no group). Writes admin only.
import type { FastifyInstance } from 'fastify';
import type { CustomFieldGroup, EntityType, ValidationErrorEntry } from '../../amocrm/types.js';
import { requireAdmin, type EmuCtx } from '../context.js';
import { link, sendHal, sendNoContent, sendPage } from '../hal.js';
import { fail } from '../problems.js';
import { nextId } from '../state.js';
import { batchItems, err, isInt, throwIfErrors } from '../validation.js';

export function customFieldGroupRoutes(ctx: EmuCtx, entity: EntityType) {
  const base = `/api/v4/${entity}/custom_fields/groups`;
  const find = (id: string): CustomFieldGroup | undefined => ctx.store.groups.find((g) => g.id === id && g.entity_type === entity);

  return async (app: FastifyInstance): Promise<void> => {
    app.get(base, async (req, reply) => {
      const groups = ctx.store.groups.filter((g) => g.entity_type === entity);
      return sendPage(req, reply, 'custom_field_groups', groups, { totals: true, render: (g) => g });
    });

    app.get(`${base}/:id`, async (req, reply) => {
      const g = find((req.params as { id: string }).id);
      if (!g) throw fail(404, 'Custom field group not found');
      return sendHal(reply, g);
    });

    app.post(base, async (req, reply) => {
      requireAdmin(req);
      const items = batchItems(req.body);
      const names = new Set(ctx.store.groups.filter((g) => g.entity_type === entity).map((g) => g.name));
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        if (typeof item.name !== 'string' || item.name.trim() === '') errors.push(err('NotBlank', 'name'));
        else if (names.has(item.name)) errors.push(err('NotSupportedChoice', 'name', 'Group name must be unique.'));
        else names.add(item.name);
        if (item.sort !== undefined && !isInt(item.sort)) errors.push(err('InvalidType', 'sort'));
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);
      const out = items.map(({ item, requestId }) => {
        const n = nextId(ctx.store, 'group');
        const g: CustomFieldGroup = {
          id: `${entity}_${ctx.nowSec()}${String(n).padStart(4, '0')}`,
          name: String(item.name),
          sort: isInt(item.sort) ? item.sort : 1,
          entity_type: entity,
          is_predefined: false,
          type: 'custom',
          account_id: ctx.store.accountId,
        };
        ctx.store.groups.push(g);
        return { ...g, request_id: requestId };
      });
      return sendHal(reply, { _total_items: out.length, _links: link(req, base), _embedded: { custom_field_groups: out } });
    });

    app.delete(`${base}/:id`, async (req, reply) => {
      requireAdmin(req);
      const g = find((req.params as { id: string }).id);
      if (!g) throw fail(404, 'Custom field group not found');
      if (g.is_predefined) throw fail(400, 'Group is not deletable');
      ctx.store.groups = ctx.store.groups.filter((x) => x !== g);
      for (const f of ctx.store.fields.values()) if (f.group_id === g.id) f.group_id = null;
      return sendNoContent(reply);
    });
  };
}
