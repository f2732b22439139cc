// GET /api/v4/events (fact sheet §7.12): limit ≤ 100, string ids, newest first, filters type/entity/entity_id/created_at/
// created_by/id/value_after/value_before.
import type { FastifyInstance } from 'fastify';
import type { AmoEvent } from '../../amocrm/types.js';
import type { EmuCtx } from '../context.js';
import { asList, baseUrl, inRange, range, sendHal, sendNoContent, sendPage } from '../hal.js';
import { isObj } from '../validation.js';

const ENTITY_ALIASES: Record<string, string> = { leads: 'lead', contacts: 'contact', companies: 'company', tasks: 'task' };

/** `filter[value_after|value_before][leads_statuses][i][pipeline_id|status_id]` (qs gives an array or an object). */
function matchesStatusValue(values: AmoEvent['value_after'], f: unknown): boolean {
  const ls = isObj(f) ? f.leads_statuses : undefined;
  if (!Array.isArray(ls) && !isObj(ls)) return true;
  const pairs = Object.values(ls).filter(isObj);
  return values.some((v) => {
    const st = isObj(v.lead_status) ? v.lead_status : undefined;
    return !!st && pairs.some((p) => Number(p.pipeline_id) === st.pipeline_id && Number(p.status_id) === st.id);
  });
}

export function eventRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/events', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const f = isObj(q.filter) ? q.filter : {};
      let all = ctx.store.events.map((e, seq) => ({ e, seq }))
        .sort((a, b) => b.e.created_at - a.e.created_at || b.seq - a.seq) // newest first, as amoCRM lists them (no documented `order`)
        .map((x) => x.e);
      const types = asList(f.type);
      if (types.length) all = all.filter((e) => types.includes(e.type));
      const ents = asList(f.entity).map((x) => ENTITY_ALIASES[x] ?? x);
      if (ents.length) all = all.filter((e) => ents.includes(e.entity_type));
      const eids = asList(f.entity_id).map(Number);
      if (eids.length) all = all.filter((e) => eids.includes(e.entity_id));
      const by = asList(f.created_by).map(Number);
      if (by.length) all = all.filter((e) => by.includes(e.created_by));
      const ids = asList(f.id);
      if (ids.length) all = all.filter((e) => ids.includes(e.id));
      const r = range(f.created_at);
      if (r) all = all.filter((e) => inRange(e.created_at, r));
      if (f.value_after !== undefined) all = all.filter((e) => matchesStatusValue(e.value_after, f.value_after));
      if (f.value_before !== undefined) all = all.filter((e) => matchesStatusValue(e.value_before, f.value_before));
      const b = baseUrl(req);
      return sendPage(req, reply, 'events', all, { maxLimit: 100, defaultLimit: 100, render: (e) => ({ ...e, _links: { self: { href: `${b}/api/v4/events/${e.id}` } } }) });
    });
    // GET /api/v4/events/types: the event types as a list ({key, type, lang}; RU docs crm-platform-events-and-notes).
    app.get('/api/v4/events/types', async (req, reply) => {
      const seen = new Set(ctx.store.events.map((e) => e.type));
      const keys = [...new Set([...Object.keys(EVENT_TYPE_NAMES), ...seen])];
      const events_types = keys.map((key, i) => ({ key, type: i + 1, lang: EVENT_TYPE_NAMES[key] ?? key }));
      return sendHal(reply, { _links: { self: { href: `${baseUrl(req)}/api/v4/events/types` } }, _embedded: { events_types } });
    });
    app.get('/api/v4/events/:id', async (req, reply) => {
      const e = ctx.store.events.find((x) => x.id === (req.params as { id: string }).id);
      if (!e) return sendNoContent(reply);
      return sendHal(reply, { ...e, _links: { self: { href: `${baseUrl(req)}/api/v4/events/${e.id}` } } });
    });
  };
}

/** The event types the emulator writes, with amoCRM's Russian names. */
const EVENT_TYPE_NAMES: Record<string, string> = {
  lead_added: 'Новая сделка',
  lead_deleted: 'Сделка удалена',
  lead_restored: 'Сделка восстановлена',
  lead_status_changed: 'Изменение этапа продажи',
  name_field_changed: 'Изменение поля “Название”',
  sale_field_changed: 'Изменение поля “Бюджет”',
  entity_responsible_changed: 'Ответственный изменен',
  entity_tag_added: 'Теги добавлены',
  entity_tag_deleted: 'Теги убраны',
  contact_added: 'Новый контакт',
  contact_deleted: 'Контакт удален',
  company_added: 'Новая компания',
  task_added: 'Новая задача',
  task_completed: 'Задача завершена',
  task_result_added: 'Результат по задаче',
  incoming_call: 'Входящий звонок',
  outgoing_call: 'Исходящий звонок',
  incoming_chat_message: 'Входящее сообщение',
  outgoing_chat_message: 'Исходящее сообщение',
  common_note_added: 'Новое примечание',
};
