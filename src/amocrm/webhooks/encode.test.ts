import { describe, expect, it } from 'vitest';
import type { Company, Contact, CustomField, Lead, Task } from '../types.js';
import {
  contactToHookFields,
  deletedHookFields,
  encodeWebhookBody,
  leadToHookFields,
  parseWebhook,
  taskToHookFields,
} from './index.js';
import type { WebhookEvent, WebhookEventOf } from './index.js';

const FORM = 'application/x-www-form-urlencoded';
const ACCOUNT = { id: 17769199, subdomain: 'example', self: 'https://example.amocrm.ru' };

function field(id: number, name: string, type: CustomField['type'], code: string | null = null): CustomField {
  return {
    id,
    name,
    code,
    sort: 0,
    type,
    entity_type: 'leads',
    is_predefined: false,
    is_deletable: true,
    is_api_only: false,
    group_id: null,
    required_statuses: null,
    enums: null,
  };
}

const FIELDS: CustomField[] = [
  field(66339, 'Источник', 'select'),
  field(72333, 'Дата проведения', 'date'),
  field(1, 'Телефон', 'multitext', 'PHONE'),
  field(2, 'Согласие', 'checkbox'),
];

function makeLead(): Lead {
  return {
    id: 25399013,
    name: 'Заявка с сайта & "ещё" 100%',
    price: 22500,
    responsible_user_id: 2079676,
    group_id: 0,
    status_id: 142,
    pipeline_id: 9217056,
    loss_reason_id: null,
    created_by: 2076025,
    updated_by: 2079718,
    created_at: 1539782209,
    updated_at: 1539782664,
    closed_at: null,
    closest_task_at: null,
    is_deleted: false,
    custom_fields_values: [
      {
        field_id: 66339,
        field_name: 'Источник',
        field_code: null,
        field_type: 'select',
        values: [{ value: 'Сайт', enum_id: 139517 }],
      },
      { field_id: 72333, field_name: 'Дата проведения', field_code: null, field_type: 'date', values: [{ value: 1542067200 }] },
      { field_id: 2, field_name: 'Согласие', field_code: null, field_type: 'checkbox', values: [{ value: true }] },
    ],
    score: null,
    account_id: 17769199,
    _links: {},
    _embedded: { tags: [{ id: 80147, name: 'повторное обращение', color: null }], companies: [] },
  };
}

function makeContact(): Contact {
  return {
    id: 100,
    name: 'Анна Смирнова',
    first_name: 'Анна',
    last_name: 'Смирнова',
    responsible_user_id: 5,
    group_id: 0,
    created_by: 5,
    updated_by: 6,
    created_at: 1700000000,
    updated_at: 1700000100,
    closest_task_at: null,
    is_deleted: false,
    custom_fields_values: [
      {
        field_id: 1,
        field_name: 'Телефон',
        field_code: 'PHONE',
        field_type: 'multitext',
        values: [{ value: '+7 (900) 123-45-67', enum_id: 3, enum_code: 'WORK' }],
      },
    ],
    account_id: 17769199,
    _links: {},
    _embedded: { tags: [], companies: [{ id: 200 }], leads: [{ id: 25399013 }, { id: 25399014 }] },
  };
}

function makeCompany(): Company {
  return {
    id: 200,
    name: 'ООО «Ромашка»',
    responsible_user_id: 5,
    group_id: 0,
    created_by: 5,
    updated_by: 5,
    created_at: 1700000000,
    updated_at: 1700000200,
    closest_task_at: null,
    is_deleted: false,
    custom_fields_values: null,
    account_id: 17769199,
    _links: {},
    _embedded: { tags: [{ id: 1, name: 'vip', color: null }], leads: [{ id: 25399013 }] },
  };
}

function makeTask(): Task {
  return {
    id: 9001,
    created_by: 5,
    updated_by: 5,
    created_at: 1726578449, // 2024-09-17 13:07:29 UTC
    updated_at: 1726653600, // 2024-09-18 10:00:00 UTC
    responsible_user_id: 6,
    group_id: 0,
    entity_id: 25399013,
    entity_type: 'leads',
    is_completed: true,
    task_type_id: 1,
    text: 'Перезвонить',
    duration: 0,
    complete_till: 1759438740, // 2025-10-02 20:59:00 UTC
    result: { text: 'Готово' },
    account_id: 17769199,
  };
}

function one<E extends WebhookEvent['entity']>(events: WebhookEvent[], entity: E): WebhookEventOf<E> {
  const found = events.filter((e): e is WebhookEventOf<E> => e.entity === entity);
  expect(found).toHaveLength(1);
  return found[0] as WebhookEventOf<E>;
}

describe('encodeWebhookBody', () => {
  it('writes PHP http_build_query bodies: encoded brackets, + for spaces, 1/0 booleans, account last', () => {
    const body = encodeWebhookBody(
      [{ key: 'leads', action: 'add', fields: { id: 1, name: 'a b~!', is_x: true, no: false, gone: null, u: undefined } }],
      ACCOUNT,
    );
    expect(body).toBe(
      'leads%5Badd%5D%5B0%5D%5Bid%5D=1&leads%5Badd%5D%5B0%5D%5Bname%5D=a+b%7E%21&' +
        'leads%5Badd%5D%5B0%5D%5Bis_x%5D=1&leads%5Badd%5D%5B0%5D%5Bno%5D=0&' +
        'account%5Bsubdomain%5D=example&account%5Bid%5D=17769199&account%5B_links%5D%5Bself%5D=https%3A%2F%2Fexample.amocrm.ru',
    );
  });

  it('groups by key then action in first-seen order and numbers items per action', () => {
    const body = encodeWebhookBody(
      [
        { key: 'leads', action: 'update', fields: { id: 1 } },
        { key: 'contacts', action: 'add', fields: { id: 9, type: 'contact' } },
        { key: 'leads', action: 'status', fields: { id: 3 } },
        { key: 'leads', action: 'update', fields: { id: 2 } },
      ],
      ACCOUNT,
    );
    const keys = decodeURIComponent(body)
      .split('&')
      .map((p) => p.split('=')[0]);
    expect(keys).toEqual([
      'leads[update][0][id]',
      'leads[update][1][id]',
      'leads[status][0][id]',
      'contacts[add][0][id]',
      'contacts[add][0][type]',
      'account[subdomain]',
      'account[id]',
      'account[_links][self]',
    ]);
    const events = parseWebhook(body, FORM).events;
    expect(events.map((e) => `${e.entity}/${e.action}/${e.index}`)).toEqual([
      'lead/update/0',
      'lead/update/1',
      'lead/status/0',
      'contact/add/0',
    ]);
  });
});

describe('hook fields round trip (encode → parse)', () => {
  it('round-trips a lead status change with all custom-field shapes', () => {
    const lead = makeLead();
    const fields = leadToHookFields(lead, { fields: FIELDS, old: { status_id: 7039101, pipeline_id: 9217056 } });
    const body = encodeWebhookBody([{ key: 'leads', action: 'status', fields }], ACCOUNT);
    expect(body).toContain('leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bvalues%5D%5B0%5D=1542067200');
    expect(body).not.toContain('old_responsible_user_id');
    const parsed = parseWebhook(body, FORM);
    expect(parsed.account).toEqual({ id: 17769199, subdomain: 'example', baseUrl: 'https://example.amocrm.ru' });
    const ev = one(parsed.events, 'lead');
    expect(ev.action).toBe('status');
    expect(ev.data).toEqual({
      id: lead.id,
      name: lead.name,
      statusId: 142,
      oldStatusId: 7039101,
      price: 22500,
      responsibleUserId: 2079676,
      lastModified: 1539782664,
      modifiedUserId: 2079718,
      createdUserId: 2076025,
      dateCreate: 1539782209,
      pipelineId: 9217056,
      oldPipelineId: 9217056,
      accountId: 17769199,
      tags: [{ id: 80147, name: 'повторное обращение' }],
      customFields: [
        { id: 66339, name: 'Источник', values: [{ value: 'Сайт', enum: 139517 }] },
        { id: 72333, name: 'Дата проведения', values: [{ value: 1542067200 }] },
        { id: 2, name: 'Согласие', values: [{ value: '1' }] },
      ],
      createdAt: 1539782209,
      updatedAt: 1539782664,
    });
  });

  it('round-trips a contact with PHONE code and linked leads, and a company under contacts', () => {
    const body = encodeWebhookBody(
      [
        { key: 'contacts', action: 'add', fields: contactToHookFields(makeContact(), 'contact', FIELDS) },
        { key: 'contacts', action: 'update', fields: contactToHookFields(makeCompany(), 'company', FIELDS) },
      ],
      ACCOUNT,
    );
    expect(decodeURIComponent(body)).toContain('contacts[add][0][linked_leads_id][25399013][ID]=25399013');
    const events = parseWebhook(body, FORM).events;
    expect(one(events, 'contact').data).toEqual({
      id: 100,
      type: 'contact',
      name: 'Анна Смирнова',
      responsibleUserId: 5,
      dateCreate: 1700000000,
      lastModified: 1700000100,
      createdUserId: 5,
      modifiedUserId: 6,
      linkedCompanyId: 200,
      accountId: 17769199,
      // no `tags`: PHP's http_build_query drops empty lists, so the parser cannot tell "none" from "not sent"
      customFields: [{ id: 1, name: 'Телефон', code: 'PHONE', values: [{ value: '+7 (900) 123-45-67', enum: 3 }] }],
      linkedLeadsId: [25399013, 25399014],
      createdAt: 1700000000,
      updatedAt: 1700000100,
    });
    const company = one(events, 'company');
    expect(company.action).toBe('update');
    expect(company.data).toMatchObject({
      id: 200,
      type: 'company',
      name: 'ООО «Ромашка»',
      tags: [{ id: 1, name: 'vip' }],
      linkedLeadsId: [25399013],
      updatedAt: 1700000200,
    });
    expect(company.data.linkedCompanyId).toBeUndefined();
    expect(company.data.customFields).toBeUndefined();
  });

  it('round-trips a task with string dates and status flag', () => {
    const fields = taskToHookFields(makeTask());
    expect(fields).toMatchObject({ status: '1', date_create: '2024-09-17 13:07:29', complete_till: '2025-10-02 20:59:00' });
    const body = encodeWebhookBody([{ key: 'task', action: 'update', fields }], ACCOUNT);
    const ev = one(parseWebhook(body, FORM).events, 'task');
    expect(ev.data).toEqual({
      id: 9001,
      elementId: 25399013,
      elementType: 2,
      dateCreate: '2024-09-17 13:07:29',
      text: 'Перезвонить',
      completed: true,
      accountId: 17769199,
      createdUserId: 5,
      lastModified: '2024-09-18 10:00:00',
      responsibleUserId: 6,
      completeTill: '2025-10-02 20:59:00',
      completeBefore: 1759438740,
      taskType: 1,
      result: { text: 'Готово' },
      createdAt: 1726578449,
      updatedAt: 1726653600,
    });
  });

  it('round-trips deletes and an open task without result', () => {
    const task = { ...makeTask(), is_completed: false, result: [] as [] };
    const body = encodeWebhookBody(
      [
        { key: 'leads', action: 'delete', fields: deletedHookFields(5, { status_id: 143, pipeline_id: 9 }) },
        { key: 'contacts', action: 'delete', fields: deletedHookFields(6, { type: 'company' }) },
        { key: 'task', action: 'add', fields: taskToHookFields(task) },
      ],
      ACCOUNT,
    );
    const events = parseWebhook(body, FORM).events;
    expect(one(events, 'lead').data).toEqual({ id: 5, statusId: 143, pipelineId: 9 });
    expect(one(events, 'company')).toMatchObject({ action: 'delete', data: { id: 6, type: 'company' } });
    const t = one(events, 'task').data;
    expect(t.completed).toBe(false);
    expect(t.result).toBeUndefined();
  });
});
