// The seeded account: users, one main pipeline, the predefined custom-field schema (fact sheet §7.5–§7.7).
import type { CustomField, CustomFieldEnum, CustomFieldType, EntityType, Status, User, UserRights } from '../amocrm/types.js';
import type { EmulatorStore, PipelineRec } from './records.js';

export const ADMIN_USER_ID = 8000001;
export const MANAGER_USER_ID = 8000002;
export const MANAGER2_USER_ID = 8000003;
/** The demo sales team (leadbridge.yaml routes among them, docs/routing.md); Глеб is a deactivated seat. */
export const DEMO_MANAGERS = [
  { id: 8000004, name: 'Анна Смирнова', email: 'anna@demo.example' },
  { id: 8000005, name: 'Борис Петров', email: 'boris@demo.example' },
  { id: 8000006, name: 'Вера Кузнецова', email: 'vera@demo.example' },
  { id: 8000007, name: 'Глеб Орлов', email: 'gleb@demo.example', inactive: true },
] as const;

function rights(admin: boolean, active = true): UserRights {
  const all = { view: 'A', edit: 'A', add: 'A', delete: admin ? 'A' : 'D', export: admin ? 'A' : 'D' };
  return {
    leads: all,
    contacts: all,
    companies: all,
    tasks: { edit: 'A', delete: admin ? 'A' : 'D' },
    mail_access: true,
    catalog_access: true,
    files_access: true,
    status_rights: [],
    is_admin: admin,
    is_free: false,
    is_active: active,
    group_id: null,
    role_id: null,
  };
}

export function seedUsers(): User[] {
  return [
    { id: ADMIN_USER_ID, name: 'Admin', email: 'admin@example.test', lang: 'ru', rights: rights(true) },
    { id: MANAGER_USER_ID, name: 'Manager One', email: 'manager1@example.test', lang: 'ru', rights: rights(false) },
    { id: MANAGER2_USER_ID, name: 'Manager Two', email: 'manager2@example.test', lang: 'ru', rights: rights(false) },
    ...DEMO_MANAGERS.map((m) => ({ id: m.id, name: m.name, email: m.email, lang: 'ru', rights: rights(false, !('inactive' in m)) })),
  ];
}

export function systemStatuses(store: EmulatorStore, pipelineId: number): Status[] {
  const acc = store.accountId;
  return [
    { id: 142, name: 'Успешно реализовано', sort: 10000, is_editable: false, pipeline_id: pipelineId, color: '#CCFF66', type: 0, account_id: acc },
    { id: 143, name: 'Закрыто и не реализовано', sort: 11000, is_editable: false, pipeline_id: pipelineId, color: '#D5D8DB', type: 0, account_id: acc },
  ];
}

export function newStatus(store: EmulatorStore, pipelineId: number, name: string, sort: number, color: string, type: 0 | 1 = 0): Status {
  store.ids.status = (store.ids.status ?? 0) + 1;
  return { id: store.ids.status, name, sort, is_editable: type === 0, pipeline_id: pipelineId, color, type, account_id: store.accountId };
}

export function seedPipelines(store: EmulatorStore): PipelineRec[] {
  store.ids.pipeline = (store.ids.pipeline ?? 0) + 1;
  const id = store.ids.pipeline;
  const statuses: Status[] = [
    newStatus(store, id, 'Неразобранное', 10, '#c1c1c1', 1),
    newStatus(store, id, 'Первичный контакт', 20, '#99ccff'),
    newStatus(store, id, 'Переговоры', 30, '#ffcc66'),
    newStatus(store, id, 'Принимают решение', 40, '#ffdc7f'),
    ...systemStatuses(store, id),
  ];
  return [{ id, name: 'Воронка', sort: 1, is_main: true, is_unsorted_on: true, is_archive: false, statuses }];
}

export function makeField(
  store: EmulatorStore,
  entity: EntityType,
  spec: { name: string; type: CustomFieldType; code?: string | null; sort?: number; enums?: { value: string; code?: string }[]; predefined?: boolean; is_api_only?: boolean; group_id?: string | null },
): CustomField {
  store.ids.field = (store.ids.field ?? 0) + 1;
  const id = store.ids.field;
  const enums: CustomFieldEnum[] | null = spec.enums
    ? spec.enums.map((e, i) => {
        store.ids.enum = (store.ids.enum ?? 0) + 1;
        return { id: store.ids.enum, value: e.value, sort: (i + 1) * 2, ...(e.code !== undefined ? { code: e.code } : {}) };
      })
    : null;
  const predefined = spec.predefined ?? false;
  return {
    id,
    name: spec.name,
    code: spec.code ?? null,
    sort: spec.sort ?? 500,
    type: spec.type,
    entity_type: entity,
    is_predefined: predefined,
    is_deletable: !predefined,
    is_api_only: spec.is_api_only ?? false,
    is_computed: false,
    group_id: spec.group_id ?? null,
    required_statuses: null,
    enums,
    remind: null,
    currency: null,
    settings: null,
    account_id: store.accountId,
  };
}

const PHONE_ENUMS = ['WORK', 'WORKDD', 'MOB', 'FAX', 'HOME', 'OTHER'].map((c) => ({ value: c, code: c }));
const EMAIL_ENUMS = ['WORK', 'PRIV', 'OTHER'].map((c) => ({ value: c, code: c }));
const TRACKING = ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM', 'UTM_REFERRER', 'REFERRER', 'GCLID', 'YCLID', 'FBCLID'];

export function seedFields(store: EmulatorStore, _nowSec: number): CustomField[] {
  const out: CustomField[] = [];
  for (const e of ['contacts', 'companies'] as const) {
    out.push(makeField(store, e, { name: 'Телефон', type: 'multitext', code: 'PHONE', sort: 4, enums: PHONE_ENUMS, predefined: true }));
    out.push(makeField(store, e, { name: 'Email', type: 'multitext', code: 'EMAIL', sort: 6, enums: EMAIL_ENUMS, predefined: true }));
  }
  out.push(makeField(store, 'contacts', { name: 'Должность', type: 'text', code: 'POSITION', sort: 2, predefined: true }));
  out.push(makeField(store, 'companies', { name: 'Web', type: 'url', code: 'WEB', sort: 8, predefined: true }));
  TRACKING.forEach((code, i) => {
    out.push(makeField(store, 'leads', { name: code.toLowerCase(), type: 'tracking_data', code, sort: 100 + i, predefined: true }));
  });
  out.push(makeField(store, 'leads', { name: 'Источник', type: 'select', sort: 510, enums: [{ value: 'Сайт' }, { value: 'Звонок' }, { value: 'Реклама' }] }));
  out.push(makeField(store, 'leads', { name: 'Комментарий', type: 'textarea', sort: 520 }));
  out.push(makeField(store, 'leads', { name: 'Дата визита', type: 'date', sort: 530 }));
  return out;
}
