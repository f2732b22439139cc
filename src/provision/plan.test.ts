import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ProvisionSpecSchema, type ProvisionSpec } from './spec.js';
import { NOTHING_TO_CHANGE, renderPlan } from './render.js';
import { planProvision } from './plan.js';
import { emptyAccount, field, pipeline, webhook, withActionsApplied } from '../../test/provision.js';
import type { Action } from './types.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';

const presetSpec = (name: string): ProvisionSpec =>
  ProvisionSpecSchema.parse(
    (parse(readFileSync(new URL(`../../presets/${name}.yaml`, import.meta.url), 'utf8')) as { account: unknown }).account,
  );

const spec = (input: unknown): ProvisionSpec => ProvisionSpecSchema.parse(input);
const kinds = (actions: Action[]): string[] => actions.map((a) => a.kind);
const HOOK = 'https://leads.example.com/api/webhooks/amo/0123456789abcdef0123456789abcdef';

describe('planProvision on the Asia Deals preset', () => {
  const asia = presetSpec('asia-deals');

  it('plans the whole setup for a fresh account', () => {
    const plan = planProvision(asia, emptyAccount(), { webhookUrl: HOOK });
    expect(plan.problems).toEqual([]);
    const create = plan.actions.find((a) => a.kind === 'create_pipeline');
    expect(create?.input.name).toBe('Asia Deals');
    expect(create?.input._embedded?.statuses?.map((s) => s.name)).toEqual([
      'Новый лид', 'Первичный контакт', 'Презентация', 'Выбор объекта', 'Резервирование', 'Сделка', 'Завершено',
    ]);
    const created = plan.actions.flatMap((a) => (a.kind === 'create_field' ? [`${a.entity}.${a.field}`] : []));
    // Deal UTM fields already exist as tracking fields; PHONE/EMAIL are built in.
    expect(created.sort()).toEqual([
      'contacts.utm_campaign', 'contacts.utm_content', 'contacts.utm_medium', 'contacts.utm_source', 'contacts.utm_term',
      'leads.commission', 'leads.object', 'leads.object_cost', 'leads.payment_status',
    ]);
    const object = plan.actions.find((a) => a.kind === 'create_field' && a.field === 'object');
    expect(object?.kind === 'create_field' && object.input).toMatchObject({
      name: 'Объект', type: 'select', code: 'OBJECT', enums: [{ value: 'Вилла' }, { value: 'Апартаменты' }, { value: 'Кондо' }, {}, {}],
    });
    expect(plan.actions.at(-1)).toEqual({ kind: 'subscribe_webhook', destination: HOOK, settings: [...WEBHOOK_SETTINGS], reason: 'missing' });
    expect(plan.resolved.fields.leads.utm_source?.type).toBe('tracking_data');
    expect(plan.resolved.fields.contacts.phone?.code).toBe('PHONE');
    expect(plan.resolved.pipelines.asia_deals).toBeUndefined();
  });

  it('resolves everything and plans nothing on the second run', () => {
    const first = planProvision(asia, emptyAccount(), { webhookUrl: HOOK });
    const after = withActionsApplied(emptyAccount(), first.actions);
    const second = planProvision(asia, after, { webhookUrl: HOOK });
    expect(second.actions).toEqual([]);
    expect(second.problems).toEqual([]);
    expect(renderPlan(second)).toBe(NOTHING_TO_CHANGE);
    const resolved = second.resolved.pipelines.asia_deals;
    expect(Object.keys(resolved?.stages ?? {})).toEqual([
      'new_lead', 'first_contact', 'presentation', 'object_choice', 'reservation', 'deal', 'completed',
    ]);
    expect(Object.keys(second.resolved.fields.leads)).toHaveLength(9);
    expect(Object.keys(second.resolved.fields.contacts)).toHaveLength(7);
    expect(Object.keys(second.resolved.fields.leads.object?.enums ?? {})).toContain('Кондо');
  });

  it('renders a readable dry run without the webhook secret', () => {
    const text = renderPlan(planProvision(asia, emptyAccount(), { webhookUrl: HOOK }));
    expect(text).toContain('create pipeline "Asia Deals" with 7 stages: Новый лид, Первичный контакт');
    expect(text).toContain('create leads field "Объект" (select, code OBJECT) with options: Вилла');
    expect(text).toContain('subscribe webhook https://leads.example.com/api/webhooks/amo/0123…');
    expect(text).not.toContain('0123456789abcdef');
  });
});

describe('planProvision: stages', () => {
  const one = spec({
    pipelines: [{ key: 'sales', name: 'Sales', stages: [
      { key: 'new', name: 'New', color: '#98cbff' },
      { key: 'call', name: 'Call' },
      { key: 'offer', name: 'Offer', color: '#FFCE5A' },
    ] }],
  });

  it('matches the pipeline and stages by name, case-insensitively', () => {
    const account = emptyAccount();
    const sales = pipeline('sales', ['new', 'Call', 'OFFER']);
    account.pipelines.push(sales);
    const plan = planProvision(one, account);
    expect(plan.actions).toEqual([]);
    expect(plan.resolved.pipelines.sales?.id).toBe(sales.id);
    expect(plan.resolved.pipelines.sales?.stages.call).toBe(sales._embedded.statuses[2]?.id);
  });

  it('creates a renamed or missing stage after the existing ones and keeps the rest', () => {
    const account = emptyAccount();
    const sales = pipeline('Sales', ['New', 'Phone call', 'Offer']);
    account.pipelines.push(sales);
    const plan = planProvision(one, account);
    expect(plan.actions).toEqual([
      { kind: 'create_stages', pipeline: 'sales', pipelineId: sales.id, stages: ['call'], inputs: [{ name: 'Call', sort: 50, request_id: 'call' }] },
    ]);
    expect(plan.resolved.pipelines.sales?.stages).toEqual({ new: sales._embedded.statuses[1]?.id, offer: sales._embedded.statuses[3]?.id });
    expect(renderPlan(plan)).toContain('add stages to pipeline sales: Call');
  });

  it('lower-cases palette colours for amoCRM', () => {
    const plan = planProvision(one, emptyAccount());
    const create = plan.actions[0];
    expect(create?.kind === 'create_pipeline' && create.input._embedded?.statuses?.map((s) => s.color)).toEqual(['#98cbff', undefined, '#ffce5a']);
  });
});

describe('planProvision: fields', () => {
  it('reports a wrong type as a problem and never plans a change for it', () => {
    const account = emptyAccount();
    account.fields.leads.push(field('leads', 'Стоимость', 'text', { code: 'OBJECT_COST' }));
    const plan = planProvision(spec({ fields: { leads: [{ key: 'cost', name: 'Стоимость', type: 'numeric', code: 'OBJECT_COST' }] } }), account);
    expect(plan.actions).toEqual([]);
    expect(plan.resolved.fields.leads.cost).toBeUndefined();
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]).toMatchObject({ path: 'account.fields.leads[0]', target: { kind: 'field', entity: 'leads', field: 'cost' } });
    expect(plan.problems[0]?.message).toContain('is of type text, the config says numeric');
    expect(renderPlan(plan)).toContain('Nothing to create.');
  });

  it('finds a field by code before name, and by name when it has no code', () => {
    const account = emptyAccount();
    const byCode = field('leads', 'Renamed in UI', 'numeric', { code: 'COMMISSION' });
    const byName = field('leads', 'Источник', 'text');
    const otherCode = field('leads', 'Направление', 'text', { code: 'SOMETHING_ELSE' });
    account.fields.leads.push(byCode, byName, otherCode);
    const plan = planProvision(spec({ fields: { leads: [
      { key: 'commission', name: 'Комиссия', type: 'numeric', code: 'COMMISSION' },
      { key: 'source', name: 'Источник', type: 'text', code: 'SOURCE' },
      { key: 'direction', name: 'Направление', type: 'text', code: 'DIRECTION' },
    ] } }), account);
    expect(plan.resolved.fields.leads.commission?.id).toBe(byCode.id);
    expect(plan.resolved.fields.leads.source).toEqual({ id: byName.id, code: null, type: 'text', enums: {} });
    expect(kinds(plan.actions)).toEqual(['create_field']);
    expect(plan.actions[0]).toMatchObject({ field: 'direction', input: { name: 'Направление', code: 'DIRECTION', type: 'text' } });
  });

  it('creates its own field beside a same-named field of another type, and then finds it by code', () => {
    const account = emptyAccount();
    const theirs = field('leads', 'Источник', 'select', { options: ['Сайт', 'Звонок'] });
    account.fields.leads.push(theirs);
    const s = spec({ fields: { leads: [{ key: 'source', name: 'Источник', type: 'text', code: 'SOURCE' }] } });
    const plan = planProvision(s, account);
    expect(plan.problems).toEqual([]);
    expect(plan.actions).toEqual([{
      kind: 'create_field', entity: 'leads', field: 'source',
      input: { name: 'Источник', type: 'text', code: 'SOURCE', request_id: 'source' },
      note: `a field with this name but type select exists (#${theirs.id}); creating a separate one`,
    }]);
    const second = planProvision(s, withActionsApplied(account, plan.actions));
    expect(second.actions).toEqual([]);
    expect(second.resolved.fields.leads.source?.id).not.toBe(theirs.id);
  });

  it('checks a fixed id and never creates it', () => {
    const account = emptyAccount();
    const phone = field('leads', 'Телефон', 'text', { id: 264911 });
    account.fields.leads.push(phone);
    const fixed = spec({ fields: { leads: [
      { key: 'lead_phone', name: 'Телефон', type: 'text', id: 264911 },
      { key: 'direction', name: 'Направление тренировки', type: 'text', id: 264913 },
    ] } });
    const plan = planProvision(fixed, account);
    expect(plan.resolved.fields.leads.lead_phone?.id).toBe(264911);
    expect(plan.actions).toEqual([]);
    expect(plan.problems.map((p) => [p.path, p.message])).toEqual([
      ['account.fields.leads[1]', 'leads field "Направление тренировки" (direction): no field with id 264913 in leads'],
    ]);
  });

  it('says so when a fixed id belongs to another entity', () => {
    const account = emptyAccount();
    account.fields.contacts.push(field('contacts', 'Телефон', 'text', { id: 555 }));
    const plan = planProvision(spec({ fields: { leads: [{ key: 'p', type: 'text', id: 555 }] } }), account);
    expect(plan.problems[0]?.message).toContain('field id 555 belongs to contacts, not leads');
  });

  it('reports a missing predefined field instead of creating it', () => {
    const account = emptyAccount();
    account.fields.contacts = account.fields.contacts.filter((f) => f.code !== 'EMAIL');
    const plan = planProvision(spec({ fields: { contacts: [{ key: 'email', code: 'EMAIL', type: 'multitext', predefined: true }] } }), account);
    expect(plan.actions).toEqual([]);
    expect(plan.problems[0]?.message).toContain('the built-in field EMAIL is missing from contacts');
  });

  it('adds missing options while keeping the existing ones (amoCRM drops options left out of a PATCH)', () => {
    const account = emptyAccount();
    const object = field('leads', 'Объект', 'select', { code: 'OBJECT', options: ['Вилла', 'Кондо', 'Офис'] });
    account.fields.leads.push(object);
    const plan = planProvision(spec({ fields: { leads: [
      { key: 'object', name: 'Объект', type: 'select', code: 'OBJECT', enums: ['Вилла', 'Апартаменты', 'кондо'] },
    ] } }), account);
    expect(plan.problems).toEqual([]);
    const [vill, condo, office] = object.enums ?? [];
    expect(plan.actions).toEqual([{
      kind: 'add_enums', entity: 'leads', field: 'object', fieldId: object.id, values: ['Апартаменты'],
      patch: { id: object.id, enums: [
        { id: vill?.id, value: 'Вилла', sort: 10 }, { id: condo?.id, value: 'Кондо', sort: 20 },
        { id: office?.id, value: 'Офис', sort: 30 }, { value: 'Апартаменты', sort: 40 },
      ] },
    }]);
    expect(plan.resolved.fields.leads.object?.enums).toEqual({ Вилла: vill?.id, Кондо: condo?.id, Офис: office?.id });
    expect(renderPlan(plan)).toContain(`add options to leads field object (#${object.id}): Апартаменты`);
  });

  it('plans no enum change when all options exist, and ignores extra ones', () => {
    const account = emptyAccount();
    account.fields.leads.push(field('leads', 'Статус оплаты', 'select', { code: 'PAYMENT_STATUS', options: ['Да', 'Нет', 'Частично'] }));
    const plan = planProvision(spec({ fields: { leads: [
      { key: 'paid', name: 'Статус оплаты', type: 'select', code: 'PAYMENT_STATUS', enums: ['Да', 'Нет'] },
    ] } }), account);
    expect(plan.actions).toEqual([]);
    expect(Object.keys(plan.resolved.fields.leads.paid?.enums ?? {})).toEqual(['Да', 'Нет', 'Частично']);
  });

  it('creates a missing tracking field as text and accepts it on the next run', () => {
    const s = spec({ fields: { leads: [{ key: 'yclid', name: 'YCLID', type: 'tracking_data', code: 'YCLID' }] } });
    const plan = planProvision(s, emptyAccount());
    expect(plan.actions[0]).toMatchObject({ kind: 'create_field', input: { type: 'text', code: 'YCLID' } });
    expect(renderPlan(plan)).toContain('created as a text field');
    expect(planProvision(s, withActionsApplied(emptyAccount(), plan.actions)).actions).toEqual([]);
  });
});

describe('planProvision: webhook', () => {
  const s = spec({});

  it('does nothing when our URL is subscribed and enabled', () => {
    const account = emptyAccount();
    account.webhooks.push(webhook(HOOK, [...WEBHOOK_SETTINGS, 'add_task']));
    expect(planProvision(s, account, { webhookUrl: HOOK }).actions).toEqual([]);
  });

  it('re-enables a disabled subscription and adds missing events, keeping the others', () => {
    const account = emptyAccount();
    account.webhooks.push(webhook(HOOK, ['add_lead', 'add_task'], true));
    const action = planProvision(s, account, { webhookUrl: HOOK }).actions[0];
    expect(action).toMatchObject({ kind: 'subscribe_webhook', reason: 'disabled' });
    expect(action?.kind === 'subscribe_webhook' && [...action.settings].sort()).toEqual([...new Set([...WEBHOOK_SETTINGS, 'add_task'])].sort());
  });

  it('ignores other destinations and plans no webhook without a URL', () => {
    const account = emptyAccount();
    account.webhooks.push(webhook('https://other.example.com/hook', [...WEBHOOK_SETTINGS]));
    expect(planProvision(s, account, { webhookUrl: HOOK }).actions[0]).toMatchObject({ reason: 'missing' });
    expect(planProvision(s, account).actions).toEqual([]);
  });
});
