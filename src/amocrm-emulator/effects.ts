// Side effects of every change: an event in /api/v4/events (fact sheet §7.12) and outgoing webhook items (§8).
import type { AmoEvent, CustomFieldValues, Note, Task } from '../amocrm/types.js';
import { contactToHookFields, deletedHookFields, leadOldFields, leadToHookFields, taskToHookFields, type HookItem } from '../amocrm/webhooks/index.js';
import { toCompany, toContact, toLead } from './serialize.js';
import { fieldsOf, nextId, type ContactRec, type EmulatorStore, type LeadRec } from './state.js';

export interface HookSink {
  push(setting: string, item: HookItem): void;
}

export interface Effects {
  leadAdded(r: LeadRec, by: number): void;
  leadChanged(before: LeadRec, after: LeadRec, by: number): void;
  contactAdded(r: ContactRec, by: number): void;
  contactChanged(before: ContactRec, after: ContactRec, by: number): void;
  taskAdded(t: Task, by: number): void;
  taskChanged(before: Task, after: Task, by: number): void;
  noteAdded(n: Note, entity: 'leads' | 'contacts' | 'companies', by: number): void;
}

type Vals = Record<string, unknown>[];

export function createEffects(getStore: () => EmulatorStore, nowSec: () => number, base: () => string, sink: HookSink): Effects {
  const event = (type: string, entityType: string, entityId: number, by: number, before: Vals, after: Vals): void => {
    const n = nextId(getStore(), 'event');
    const ev: AmoEvent = {
      id: `01${n.toString(36).padStart(8, '0')}${entityId.toString(36).padStart(8, '0')}emu`,
      type,
      entity_id: entityId,
      entity_type: entityType,
      created_by: by,
      created_at: nowSec(),
      value_after: after,
      value_before: before,
      account_id: getStore().accountId,
      _embedded: { entity: { id: entityId } },
    };
    getStore().events.push(ev);
  };
  const cfvEvents = (entityType: string, id: number, by: number, a: CustomFieldValues[], b: CustomFieldValues[]): void => {
    const ids = new Set([...a.map((x) => x.field_id), ...b.map((x) => x.field_id)]);
    for (const fid of ids) {
      const x = a.find((v) => v.field_id === fid);
      const y = b.find((v) => v.field_id === fid);
      if (JSON.stringify(x?.values ?? null) === JSON.stringify(y?.values ?? null)) continue;
      const render = (v: CustomFieldValues | undefined): Vals =>
        (v?.values ?? []).map((val) => ({ custom_field_value: { field_id: fid, field_type: v?.field_type, enum_id: val.enum_id ?? null, text: String(val.value) } }));
      event(`custom_field_${fid}_value_changed`, entityType, id, by, render(x), render(y));
    }
  };
  const leadHook = (r: LeadRec, action: string, old?: LeadRec): void => {
    const fields = leadToHookFields(toLead(getStore(), base(), r, ['contacts']), {
      fields: fieldsOf(getStore(), 'leads'),
      ...(old ? { old: leadOldFields(action, old, r) } : {}),
    });
    sink.push(`${action}_lead`, { key: 'leads', action, fields });
  };
  const contactHook = (r: ContactRec, action: string): void => {
    const wire = r.kind === 'contact' ? toContact(getStore(), base(), r, ['leads']) : toCompany(getStore(), base(), r, ['leads']);
    const fields = contactToHookFields(wire, r.kind, fieldsOf(getStore(), r.kind === 'contact' ? 'contacts' : 'companies'));
    sink.push(`${action}_${r.kind}`, { key: 'contacts', action, fields });
  };
  const status = (r: LeadRec): Vals => [{ lead_status: { id: r.status_id, pipeline_id: r.pipeline_id } }];

  return {
    leadAdded(r, by) {
      event('lead_added', 'lead', r.id, by, [], status(r));
      leadHook(r, 'add');
    },
    leadChanged(b, a, by) {
      let changed = false;
      if (b.status_id !== a.status_id || b.pipeline_id !== a.pipeline_id) {
        event('lead_status_changed', 'lead', a.id, by, status(b), status(a));
        changed = true;
      }
      if (b.responsible_user_id !== a.responsible_user_id) {
        event('entity_responsible_changed', 'lead', a.id, by, [{ responsible_user: { id: b.responsible_user_id } }], [{ responsible_user: { id: a.responsible_user_id } }]);
        changed = true;
      }
      if (b.price !== a.price) {
        event('sale_field_changed', 'lead', a.id, by, [{ sale_field_value: { sale: b.price } }], [{ sale_field_value: { sale: a.price } }]);
        changed = true;
      }
      if (b.name !== a.name) {
        event('name_field_changed', 'lead', a.id, by, [{ name_field_value: { name: b.name } }], [{ name_field_value: { name: a.name } }]);
        changed = true;
      }
      const added = a.tags.filter((t) => !b.tags.includes(t));
      const removed = b.tags.filter((t) => !a.tags.includes(t));
      for (const t of added) event('entity_tag_added', 'lead', a.id, by, [], [{ tag: { name: getStore().tags.leads.get(t)?.name ?? '' } }]);
      for (const t of removed) event('entity_tag_deleted', 'lead', a.id, by, [{ tag: { name: getStore().tags.leads.get(t)?.name ?? '' } }], []);
      const before = JSON.stringify(b.cfv);
      if (before !== JSON.stringify(a.cfv)) {
        cfvEvents('lead', a.id, by, b.cfv, a.cfv);
        changed = true;
      }
      if (b.is_deleted !== a.is_deleted) {
        event(a.is_deleted ? 'lead_deleted' : 'lead_restored', 'lead', a.id, by, [], []);
        if (a.is_deleted) sink.push('delete_lead', { key: 'leads', action: 'delete', fields: deletedHookFields(a.id, { status_id: a.status_id, pipeline_id: a.pipeline_id }) });
        else leadHook(a, 'restore');
        return;
      }
      changed = changed || added.length > 0 || removed.length > 0 || JSON.stringify(b.contacts) !== JSON.stringify(a.contacts) || JSON.stringify(b.companies) !== JSON.stringify(a.companies);
      if (!changed) return;
      leadHook(a, 'update', b);
      if (b.status_id !== a.status_id || b.pipeline_id !== a.pipeline_id) leadHook(a, 'status', b);
      if (b.responsible_user_id !== a.responsible_user_id) leadHook(a, 'responsible', b);
    },
    contactAdded(r, by) {
      event(`${r.kind}_added`, r.kind, r.id, by, [], []);
      contactHook(r, 'add');
    },
    contactChanged(b, a, by) {
      const et = a.kind;
      if (b.name !== a.name) event('name_field_changed', et, a.id, by, [{ name_field_value: { name: b.name } }], [{ name_field_value: { name: a.name } }]);
      if (b.responsible_user_id !== a.responsible_user_id)
        event('entity_responsible_changed', et, a.id, by, [{ responsible_user: { id: b.responsible_user_id } }], [{ responsible_user: { id: a.responsible_user_id } }]);
      cfvEvents(et, a.id, by, b.cfv, a.cfv);
      contactHook(a, 'update');
      if (b.responsible_user_id !== a.responsible_user_id) contactHook(a, 'responsible');
    },
    taskAdded(t, by) {
      event('task_added', 'task', t.id, by, [], [{ text: t.text }]);
      sink.push('add_task', { key: 'task', action: 'add', fields: taskToHookFields(t) });
    },
    taskChanged(b, a, by) {
      if (!b.is_completed && a.is_completed) event('task_completed', 'task', a.id, by, [], []);
      if (!Array.isArray(a.result) && JSON.stringify(a.result) !== JSON.stringify(b.result)) event('task_result_added', 'task', a.id, by, [], [{ text: a.result.text }]);
      sink.push('update_task', { key: 'task', action: 'update', fields: taskToHookFields(a) });
      if (b.responsible_user_id !== a.responsible_user_id) sink.push('responsible_task', { key: 'task', action: 'responsible', fields: taskToHookFields(a) });
    },
    noteAdded(n, entity, by) {
      const et = entity === 'leads' ? 'lead' : entity === 'contacts' ? 'contact' : 'company';
      event(n.note_type === 'common' ? 'common_note_added' : 'service_note_added', et, n.entity_id, by, [], [{ note: { id: n.id } }]);
      const note = {
        id: n.id,
        text: typeof n.params.text === 'string' ? n.params.text : '',
        note_type: n.note_type === 'common' ? 4 : 25,
        element_id: n.entity_id,
        element_type: entity === 'leads' ? 2 : entity === 'contacts' ? 1 : 3,
        date_create: n.created_at,
        created_by: n.created_by,
        main_user_id: n.responsible_user_id,
        account_id: n.account_id,
        group_id: n.group_id,
        created_at: n.created_at,
        updated_at: n.updated_at,
      };
      const key = entity === 'leads' ? 'leads' : 'contacts';
      sink.push(`note_${et}`, { key, action: 'note', fields: { note, ...(key === 'contacts' ? { type: et } : {}) } });
    },
  };
}
