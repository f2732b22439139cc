// Custom fields per entity (fact sheet §7.6): paged list with _page_count, get, create (array), patch (batch and single),
// delete; groups live in custom-field-groups.ts. Writes admin only.
import type { FastifyInstance } from 'fastify';
import type { CustomField, CustomFieldType, EntityType, ValidationErrorEntry } from '../../amocrm/types.js';
import { requireAdmin, type EmuCtx } from '../context.js';
import { asList, baseUrl, link, parseIdParam, sendHal, sendNoContent, sendPage } from '../hal.js';
import { fail } from '../problems.js';
import { makeField } from '../seed.js';
import { customFieldGroupRoutes } from './custom-field-groups.js';
import { fieldsOf, nextId } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors, type Obj } from '../validation.js';

const TYPES: CustomFieldType[] = ['text', 'numeric', 'checkbox', 'select', 'multiselect', 'date', 'url', 'textarea', 'radiobutton', 'streetaddress', 'smart_address', 'birthday', 'legal_entity', 'date_time', 'monetary', 'file', 'multitext', 'tracking_data', 'chained_list', 'linked_entity'];
const ENUM_TYPES = ['select', 'multiselect', 'radiobutton', 'multitext'];
const CATALOG_ONLY = ['price', 'category', 'items', 'linked_entity', 'payer', 'supplier'];

function allowedFor(entity: EntityType, type: string): boolean {
  if (CATALOG_ONLY.includes(type)) return false;
  if (type === 'tracking_data') return entity === 'leads';
  if (type === 'multitext') return entity === 'contacts' || entity === 'companies';
  return true;
}

export function customFieldRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const entity of ['leads', 'contacts', 'companies'] as const) {
      const base = `/api/v4/${entity}/custom_fields`;
      const render = (reqBase: string, f: CustomField) => ({ ...f, _links: { self: { href: `${reqBase}${base}/${f.id}` } } });
      const checkEnums = (item: Obj, errors: ValidationErrorEntry['errors']): void => {
        if (item.enums === undefined || item.enums === null) return;
        if (!Array.isArray(item.enums)) return void errors.push(err('InvalidType', 'enums'));
        item.enums.forEach((e, i) => {
          if (!isObj(e) || typeof e.value !== 'string' || e.value === '') errors.push(err('NotBlank', `enums.${i}.value`));
        });
      };

      await app.register(customFieldGroupRoutes(ctx, entity));

      app.get(base, async (req, reply) => {
        const q = req.query as Record<string, unknown>;
        const f = isObj(q.filter) ? q.filter : {};
        let all = fieldsOf(ctx.store, entity);
        const types = asList(f.type);
        if (types.length) all = all.filter((x) => types.includes(x.type));
        const ids = asList(f.id).map(Number);
        if (ids.length) all = all.filter((x) => ids.includes(x.id));
        all.sort((a, b) => a.sort - b.sort || a.id - b.id);
        const rb = baseUrl(req);
        return sendPage(req, reply, 'custom_fields', all, { totals: true, pageCount: true, render: (x) => render(rb, x) });
      });

      app.get(`${base}/:id`, async (req, reply) => {
        const fld = ctx.store.fields.get(parseIdParam((req.params as { id: string }).id) ?? -1);
        if (!fld || fld.entity_type !== entity) throw fail(404, 'Custom field not found');
        return sendHal(reply, render(baseUrl(req), fld));
      });

      app.post(base, async (req, reply) => {
        requireAdmin(req);
        const items = batchItems(req.body);
        const entries = items.map(({ item, requestId }) => {
          const errors: ValidationErrorEntry['errors'] = [];
          if (typeof item.name !== 'string' || item.name === '') errors.push(err('NotBlank', 'name'));
          if (typeof item.type !== 'string' || !TYPES.includes(item.type as CustomFieldType) || !allowedFor(entity, item.type)) errors.push(err('NotSupportedChoice', 'type'));
          else if (ENUM_TYPES.includes(item.type) && item.type !== 'multitext' && (!Array.isArray(item.enums) || item.enums.length === 0)) errors.push(err('NotBlank', 'enums'));
          else if (!ENUM_TYPES.includes(item.type) && item.enums !== undefined && item.enums !== null) errors.push(err('FieldNotExpected', 'enums'));
          if (item.code !== undefined && (typeof item.code !== 'string' || fieldsOf(ctx.store, entity).some((x) => x.code === item.code))) errors.push(err('NotSupportedChoice', 'code', 'Field code must be unique.'));
          if (item.sort !== undefined && !isInt(item.sort)) errors.push(err('InvalidType', 'sort'));
          checkEnums(item, errors);
          return { request_id: requestId, errors };
        });
        throwIfErrors(entries);
        const rb = baseUrl(req);
        const out = items.map(({ item, requestId }) => {
          const fld = makeField(ctx.store, entity, {
            name: String(item.name),
            type: item.type as CustomFieldType,
            code: typeof item.code === 'string' ? item.code : null,
            sort: isInt(item.sort) ? item.sort : 500,
            is_api_only: item.is_api_only === true,
            group_id: typeof item.group_id === 'string' ? item.group_id : null,
            ...(Array.isArray(item.enums) ? { enums: item.enums.filter(isObj).map((e) => ({ value: String(e.value), ...(typeof e.code === 'string' ? { code: e.code } : {}) })) } : {}),
          });
          ctx.store.fields.set(fld.id, fld);
          return { ...render(rb, fld), request_id: requestId };
        });
        return sendHal(reply, { _total_items: out.length, _links: link(req, base), _embedded: { custom_fields: out } });
      });

      // Field patch (single and batch): name (not for predefined), sort, is_api_only, group_id, enums (ids kept, new ones get ids).
      const checkPatch = (fld: CustomField, b: Obj, errors: ValidationErrorEntry['errors']): void => {
        checkEnums(b, errors);
        if (b.enums !== undefined && !ENUM_TYPES.includes(fld.type)) errors.push(err('FieldNotExpected', 'enums'));
        if (b.sort !== undefined && !isInt(b.sort)) errors.push(err('InvalidType', 'sort'));
        if (b.name !== undefined && (typeof b.name !== 'string' || b.name === '')) errors.push(err('NotBlank', 'name'));
        if (b.group_id !== undefined && b.group_id !== null && !ctx.store.groups.some((g) => g.id === b.group_id && g.entity_type === entity)) errors.push(err('NotSupportedChoice', 'group_id'));
      };
      const applyPatch = (fld: CustomField, b: Obj): void => {
        if (typeof b.name === 'string' && !fld.is_predefined) fld.name = b.name;
        if (isInt(b.sort)) fld.sort = b.sort;
        if (typeof b.is_api_only === 'boolean') fld.is_api_only = b.is_api_only;
        if (typeof b.group_id === 'string' || b.group_id === null) fld.group_id = b.group_id;
        if (Array.isArray(b.enums)) {
          fld.enums = b.enums.filter(isObj).map((e, i) => {
            const existing = isInt(e.id) ? fld.enums?.find((x) => x.id === e.id) : undefined;
            return { id: existing?.id ?? nextId(ctx.store, 'enum'), value: String(e.value), sort: isInt(e.sort) ? e.sort : (i + 1) * 2, ...(typeof e.code === 'string' ? { code: e.code } : existing?.code ? { code: existing.code } : {}) };
          });
        }
      };

      // PATCH /api/v4/{entity}/custom_fields: an array, `id` in every item; the whole batch is validated first (§7.6).
      app.patch(base, async (req, reply) => {
        requireAdmin(req);
        const items = batchItems(req.body);
        const found: CustomField[] = [];
        const entries = items.map(({ item, requestId }) => {
          const errors: ValidationErrorEntry['errors'] = [];
          const fld = isInt(item.id) ? ctx.store.fields.get(item.id) : undefined;
          if (item.id === undefined) errors.push(err('NotBlank', 'id'));
          else if (!isInt(item.id)) errors.push(err('InvalidType', 'id'));
          else if (!fld || fld.entity_type !== entity) errors.push(err('NotFound', 'id'));
          if (fld && fld.entity_type === entity) {
            checkPatch(fld, item, errors);
            found.push(fld);
          }
          return { request_id: requestId, errors };
        });
        throwIfErrors(entries);
        const rb = baseUrl(req);
        const out = items.map(({ item, requestId }, i) => {
          const fld = found[i] as CustomField;
          applyPatch(fld, item);
          return { ...render(rb, fld), request_id: requestId };
        });
        return sendHal(reply, { _total_items: out.length, _links: link(req, base), _embedded: { custom_fields: out } });
      });

      app.patch(`${base}/:id`, async (req, reply) => {
        requireAdmin(req);
        const fld = ctx.store.fields.get(parseIdParam((req.params as { id: string }).id) ?? -1);
        if (!fld || fld.entity_type !== entity) throw fail(404, 'Custom field not found');
        const b = isObj(req.body) ? req.body : {};
        const errors: ValidationErrorEntry['errors'] = [];
        checkPatch(fld, b, errors);
        throwIfErrors([{ request_id: '0', errors }]);
        applyPatch(fld, b);
        return sendHal(reply, render(baseUrl(req), fld));
      });

      app.delete(`${base}/:id`, async (req, reply) => {
        requireAdmin(req);
        const fld = ctx.store.fields.get(parseIdParam((req.params as { id: string }).id) ?? -1);
        if (!fld || fld.entity_type !== entity) throw fail(404, 'Custom field not found');
        if (!fld.is_deletable) throw fail(400, 'Field is not deletable');
        deleteFieldValues(ctx, fld.id);
        return sendNoContent(reply);
      });
    }
  };
}

/** Removes a field and every stored value of it (also used by the control API). */
export function deleteFieldValues(ctx: EmuCtx, fieldId: number): void {
  ctx.store.fields.delete(fieldId);
  for (const l of ctx.store.leads.values()) l.cfv = l.cfv.filter((v) => v.field_id !== fieldId);
  for (const c of ctx.store.contacts.values()) c.cfv = c.cfv.filter((v) => v.field_id !== fieldId);
}
