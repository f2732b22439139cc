import { describe, expect, it } from 'vitest';
import { parseWebhook, phpUrlencode } from './index.js';
import { wire } from '../../../test/amo-webhooks.js';
import type { WebhookEvent, WebhookEventOf } from './index.js';

const FORM = 'application/x-www-form-urlencoded';


function only<E extends WebhookEvent['entity']>(events: WebhookEvent[], entity: E): WebhookEventOf<E>[] {
  return events.filter((e): e is WebhookEventOf<E> => e.entity === entity);
}

// Fact sheet §8.3, verbatim.
const STATUS_EXAMPLE = `
leads[status][0][id]=25399013
leads[status][0][name]=Заявка с сайта
leads[status][0][status_id]=142
leads[status][0][old_status_id]=7039101
leads[status][0][price]=22500
leads[status][0][responsible_user_id]=2079676
leads[status][0][last_modified]=1539782664
leads[status][0][modified_user_id]=2079718
leads[status][0][created_user_id]=2076025
leads[status][0][date_create]=1539782209
leads[status][0][pipeline_id]=9217056
leads[status][0][old_pipeline_id]=9217056
leads[status][0][account_id]=17769199
leads[status][0][tags][0][id]=80147
leads[status][0][tags][0][name]=повторное обращение
leads[status][0][custom_fields][0][id]=66339
leads[status][0][custom_fields][0][name]=Источник
leads[status][0][custom_fields][0][values][0][value]=Сайт
leads[status][0][custom_fields][0][values][0][enum]=139517
leads[status][0][custom_fields][1][id]=72333
leads[status][0][custom_fields][1][name]=Дата проведения
leads[status][0][custom_fields][1][values][0]=1542067200
leads[status][0][created_at]=1539782209
leads[status][0][updated_at]=1539782664
account[subdomain]=example
account[id]=17769199
account[_links][self]=https://example.amocrm.ru
`;

describe('parseWebhook (form bodies)', () => {
  it('parses the fact sheet §8.3 status change, percent-encoded, into a typed lead event', () => {
    const body = wire(STATUS_EXAMPLE);
    expect(body).toContain('leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013');
    const parsed = parseWebhook(body, `${FORM}; charset=UTF-8`);
    expect(parsed.account).toEqual({ id: 17769199, subdomain: 'example', baseUrl: 'https://example.amocrm.ru' });
    expect(parsed.events).toHaveLength(1);
    const [ev] = only(parsed.events, 'lead');
    expect(ev).toMatchObject({ entity: 'lead', key: 'leads', action: 'status', index: 0 });
    expect(ev?.data).toEqual({
      id: 25399013,
      name: 'Заявка с сайта',
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
      ],
      createdAt: 1539782209,
      updatedAt: 1539782664,
    });
    expect(ev?.raw['status_id']).toBe('142');
  });

  it('accepts raw brackets, + as space and a Buffer body', () => {
    const body = 'leads[add][0][id]=7&leads[add][0][name]=Hello+big+world&leads[add][0][price]=10.5&account[id]=1';
    const parsed = parseWebhook(Buffer.from(body), FORM);
    const [ev] = only(parsed.events, 'lead');
    expect(ev?.data).toEqual({ id: 7, name: 'Hello big world', price: 10.5 });
    expect(parsed.account).toEqual({ id: 1 });
  });

  it('decodes raw (unencoded) UTF-8 Cyrillic and keeps numeric-looking text as strings', () => {
    const body =
      'contacts[add][0][id]=5&contacts[add][0][name]=Иван Петров&' +
      'contacts[add][0][custom_fields][0][id]=1&contacts[add][0][custom_fields][0][code]=PHONE&' +
      'contacts[add][0][custom_fields][0][values][0][value]=0049301234567&contacts[add][0][custom_fields][0][values][0][enum]=3';
    const [ev] = only(parseWebhook(body, FORM).events, 'contact');
    expect(ev?.data.name).toBe('Иван Петров');
    expect(ev?.data.customFields).toEqual([{ id: 1, code: 'PHONE', values: [{ value: '0049301234567', enum: 3 }] }]);
  });

  it('emits one event per item of every action, in body order, with wire indexes', () => {
    const body = wire(`
leads[update][0][id]=1
leads[update][0][updated_at]=100
leads[update][1][id]=2
leads[update][1][updated_at]=101
leads[status][0][id]=3
leads[status][0][status_id]=142
leads[status][0][old_status_id]=10
leads[delete][0][id]=4
leads[delete][0][status_id]=143
leads[delete][0][pipeline_id]=9
leads[responsible][0][id]=5
leads[responsible][0][responsible_user_id]=77
leads[responsible][0][old_responsible_user_id]=66
leads[restore][0][id]=6
account[id]=1
`);
    const events = parseWebhook(body, FORM).events;
    expect(events.map((e) => [e.action, e.index, e.entity === 'lead' ? e.data.id : null])).toEqual([
      ['update', 0, 1],
      ['update', 1, 2],
      ['status', 0, 3],
      ['delete', 0, 4],
      ['responsible', 0, 5],
      ['restore', 0, 6],
    ]);
    const resp = only(events, 'lead')[4];
    expect(resp?.data).toEqual({ id: 5, responsibleUserId: 77, oldResponsibleUserId: 66 });
  });

  it('normalises every custom-field value shape', () => {
    const body = wire(`
leads[update][0][id]=1
leads[update][0][custom_fields][0][id]=10
leads[update][0][custom_fields][0][values][0][value]=Text
leads[update][0][custom_fields][1][id]=11
leads[update][0][custom_fields][1][values][0][value]=Opt A
leads[update][0][custom_fields][1][values][0][enum]=908107
leads[update][0][custom_fields][1][values][1][value]=Opt B
leads[update][0][custom_fields][1][values][1][enum]=908108
leads[update][0][custom_fields][2][id]=12
leads[update][0][custom_fields][2][values][0]=1725915600
leads[update][0][custom_fields][3][id]=13
leads[update][0][custom_fields][3][values][value]=Radio
leads[update][0][custom_fields][3][values][enum]=5
leads[update][0][custom_fields][4][id]=14
leads[update][0][custom_fields][4][values][0]=12.01.1980
leads[update][0][custom_fields][5][id]=15
leads[update][0][custom_fields][5][values][0][value]=1
leads[update][0][custom_fields][6][id]=16
leads[update][0][custom_fields][6][values][0]=1
`);
    const [ev] = only(parseWebhook(body, FORM).events, 'lead');
    expect(ev?.data.customFields).toEqual([
      { id: 10, values: [{ value: 'Text' }] },
      { id: 11, values: [{ value: 'Opt A', enum: 908107 }, { value: 'Opt B', enum: 908108 }] },
      { id: 12, values: [{ value: 1725915600 }] },
      { id: 13, values: [{ value: 'Radio', enum: 5 }] },
      { id: 14, values: [{ value: '12.01.1980' }] },
      { id: 15, values: [{ value: '1' }] },
      // the RU docs' flat checkbox `values: ["1"]` is indistinguishable from the bare date shape: numeric → number
      { id: 16, values: [{ value: 1 }] },
    ]);
  });

  it('tells companies from contacts under the contacts key and reads linked leads', () => {
    const body = wire(`
contacts[add][0][id]=100
contacts[add][0][name]=Anna
contacts[add][0][linked_company_id]=200
contacts[add][0][linked_leads_id][25399013][ID]=25399013
contacts[add][0][linked_leads_id][25399014][ID]=25399014
contacts[add][0][type]=contact
contacts[update][0][id]=200
contacts[update][0][name]=ООО Ромашка
contacts[update][0][old_responsible_user_id]=1
contacts[update][0][responsible_user_id]=2
contacts[update][0][type]=company
contacts[delete][0][id]=300
contacts[delete][0][type]=company
account[subdomain]=example
`);
    const events = parseWebhook(body, FORM).events;
    expect(events.map((e) => `${e.entity}/${e.action}`)).toEqual(['contact/add', 'company/update', 'company/delete']);
    const [contact] = only(events, 'contact');
    expect(contact?.data).toEqual({
      id: 100,
      type: 'contact',
      name: 'Anna',
      linkedCompanyId: 200,
      linkedLeadsId: [25399013, 25399014],
    });
    expect(only(events, 'company')[0]?.data).toMatchObject({ id: 200, type: 'company', oldResponsibleUserId: 1 });
  });

  it('reads task (singular key) with string dates and "0"/"1" flags', () => {
    const body = wire(`
task[update][0][id]=9001
task[update][0][element_id]=25399013
task[update][0][element_type]=2
task[update][0][task_type]=1
task[update][0][date_create]=2024-09-17 13:07:29
task[update][0][text]=Перезвонить
task[update][0][status]=1
task[update][0][action_close]=1
task[update][0][account_id]=17769199
task[update][0][created_user_id]=5
task[update][0][last_modified]=2024-09-18 10:00:00
task[update][0][responsible_user_id]=6
task[update][0][complete_till]=2025-10-02 20:59:00
task[update][0][complete_before]=1759438740
task[update][0][result][id]=3
task[update][0][result][text]=Готово
account[id]=17769199
`);
    const [ev] = only(parseWebhook(body, FORM).events, 'task');
    expect(ev?.data).toEqual({
      id: 9001,
      elementId: 25399013,
      elementType: 2,
      taskType: 1,
      dateCreate: '2024-09-17 13:07:29',
      text: 'Перезвонить',
      completed: true,
      actionClose: true,
      accountId: 17769199,
      createdUserId: 5,
      lastModified: '2024-09-18 10:00:00',
      responsibleUserId: 6,
      completeTill: '2025-10-02 20:59:00',
      completeBefore: 1759438740,
      result: { id: 3, text: 'Готово' },
    });
  });

  it('reads lead and contact notes with JSON-string metadata, safely', () => {
    const meta = JSON.stringify({ event_source: { id: 1, author_name: 'Бот', type: 1 }, __proto__x: 1 });
    const hostileMeta = '{"__proto__":{"polluted":1},"ok":true}';
    const body = [
      `${phpUrlencode('leads[note][0][note][id]')}=501`,
      `${phpUrlencode('leads[note][0][note][text]')}=${phpUrlencode('Текст заметки')}`,
      `${phpUrlencode('leads[note][0][note][note_type]')}=4`,
      `${phpUrlencode('leads[note][0][note][element_id]')}=25399013`,
      `${phpUrlencode('leads[note][0][note][element_type]')}=2`,
      `${phpUrlencode('leads[note][0][note][attachement]')}=`,
      `${phpUrlencode('leads[note][0][note][metadata]')}=${phpUrlencode(meta)}`,
      `${phpUrlencode('leads[note][0][note][timestamp_x]')}=${phpUrlencode('2024-09-17 13:07:29')}`,
      `${phpUrlencode('contacts[note][0][note][id]')}=502`,
      `${phpUrlencode('contacts[note][0][note][element_type]')}=3`,
      `${phpUrlencode('contacts[note][0][note][metadata]')}=${phpUrlencode(hostileMeta)}`,
      `${phpUrlencode('contacts[note][0][type]')}=company`,
      `${phpUrlencode('contacts[note][1][note][id]')}=503`,
      `${phpUrlencode('contacts[note][1][note][metadata]')}=${phpUrlencode('{not json')}`,
      `${phpUrlencode('contacts[note][1][type]')}=contact`,
    ].join('&');
    const notes = only(parseWebhook(body, FORM).events, 'note');
    expect(notes.map((n) => [n.key, n.action, n.data.id, n.data.parent])).toEqual([
      ['leads', 'note', 501, 'lead'],
      ['contacts', 'note', 502, 'company'],
      ['contacts', 'note', 503, 'contact'],
    ]);
    expect(notes[0]?.data).toMatchObject({
      text: 'Текст заметки',
      noteType: 4,
      elementId: 25399013,
      attachment: '',
      timestampX: '2024-09-17 13:07:29',
      metadata: { event_source: { id: 1, author_name: 'Бот', type: 1 } },
    });
    expect(notes[1]?.data.metadata).toEqual({ ok: true });
    expect(notes[2]?.data.metadata).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reads unsorted add and accept/decline deletes with their result ids', () => {
    const body = wire(`
unsorted[add][0][uid]=abc-1
unsorted[add][0][category]=forms
unsorted[add][0][pipeline_id]=9217056
unsorted[add][0][created_at]=1700000000
unsorted[add][0][source_data][form_name]=Сайт
unsorted[add][0][source_data][origin][ip]=1.2.3.4
unsorted[add][0][data][leads][0][name]=Заявка
unsorted[delete][0][uid]=abc-1
unsorted[delete][0][action]=accept
unsorted[delete][0][accept_result][leads][0]=25399013
unsorted[delete][0][accept_result][contacts][0]=100
unsorted[delete][1][uid]=abc-2
unsorted[delete][1][action]=decline
unsorted[delete][1][decline_result][leads][0]=25399014
account[id]=1
`);
    const events = only(parseWebhook(body, FORM).events, 'unsorted');
    expect(events[0]?.data).toEqual({
      uid: 'abc-1',
      category: 'forms',
      pipelineId: 9217056,
      createdAt: 1700000000,
      sourceData: { form_name: 'Сайт', origin: { ip: '1.2.3.4' } },
      data: { leads: { '0': { name: 'Заявка' } } },
    });
    expect(events[0]?.unsortedAction).toBeUndefined();
    expect(events[1]).toMatchObject({ action: 'delete', unsortedAction: 'accept' });
    expect(events[1]?.data.acceptResult).toEqual({ leads: [25399013], contacts: [100], companies: [] });
    expect(events[2]).toMatchObject({ action: 'delete', index: 1, unsortedAction: 'decline' });
    expect(events[2]?.data.declineResult).toEqual({ leads: [25399014], contacts: [], companies: [] });
  });

  it('reads chat messages, talks and catalog elements', () => {
    const body = wire(`
message[add][0][id]=0f1e-uuid
message[add][0][chat_id]=chat-uuid
message[add][0][talk_id]=44
message[add][0][contact_id]=100
message[add][0][text]=Здравствуйте
message[add][0][created_at]=1700000001
message[add][0][entity_type]=lead
message[add][0][entity_id]=25399013
message[add][0][type]=incoming
message[add][0][author][id]=author-uuid
message[add][0][author][type]=external
message[add][0][author][name]=Клиент
message[add][0][origin]=telegram
message[add][0][attachment][type]=picture
message[add][0][attachment][link]=https://example.test/a.png
talk[update][0][talk_id]=44
talk[update][0][chat_id]=chat-uuid
talk[update][0][is_in_work]=1
talk[update][0][is_read]=0
talk[update][0][updated_at]=1700000002
catalogs[add][0][id]=7
catalogs[add][0][catalog_id]=3
catalogs[add][0][name]=Товар
catalogs[add][0][type]=catalog
`);
    const events = parseWebhook(body, FORM).events;
    expect(only(events, 'message')[0]?.data).toMatchObject({
      id: '0f1e-uuid',
      talkId: 44,
      text: 'Здравствуйте',
      author: { id: 'author-uuid', type: 'external', name: 'Клиент' },
      attachment: { type: 'picture', link: 'https://example.test/a.png' },
    });
    expect(only(events, 'talk')[0]?.data).toEqual({
      talkId: 44,
      chatId: 'chat-uuid',
      isInWork: true,
      isRead: false,
      updatedAt: 1700000002,
    });
    expect(only(events, 'catalog_element')[0]?.data).toEqual({ id: 7, catalogId: 3, name: 'Товар', type: 'catalog' });
  });

  it('keeps unknown keys, unknown actions and id-less items as unknown events', () => {
    const body = wire(`
widgets[install][0][code]=abc
leads[merge][0][id]=1
leads[add][0][name]=no id
leads[add][1][id]=2
account[id]=1
`);
    const events = parseWebhook(body, FORM).events;
    expect(events.map((e) => (e.entity === 'unknown' ? `${e.key}/${e.action}/${e.reason}` : e.entity))).toEqual([
      'widgets/install/unknown_key',
      'leads/merge/unknown_action',
      'leads/add/missing_id',
      'lead',
    ]);
    expect(events[0]).toMatchObject({ raw: { code: 'abc' } });
  });
});
