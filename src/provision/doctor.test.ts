import { describe, expect, it } from 'vitest';
import { ProvisionSpecSchema } from './spec.js';
import { provisionChecks, renderDoctor, runDoctor } from './doctor.js';
import { explainAmoError } from './explain.js';
import { findResolvedField, findResolvedStage } from './lookup.js';
import { planProvision } from './plan.js';
import { emptyAccount, field, webhook, withActionsApplied } from '../../test/provision.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';

const HOOK = 'https://leads.example.com/api/webhooks/amo?secret=s3cr3t-value';
const spec = ProvisionSpecSchema.parse({
  pipelines: [{ key: 'sales', name: 'Sales', stages: [{ key: 'new', name: 'New' }, { key: 'call', name: 'Call' }] }],
  fields: {
    leads: [
      { key: 'object', name: 'Объект', type: 'select', code: 'OBJECT', enums: ['Вилла', 'Кондо'] },
      { key: 'cost', name: 'Стоимость', type: 'numeric', code: 'COST' },
    ],
    contacts: [{ key: 'phone', code: 'PHONE', type: 'multitext', predefined: true }],
  },
});

/** An account where setup has already run. */
function provisioned() {
  return withActionsApplied(emptyAccount(), planProvision(spec, emptyAccount(), { webhookUrl: HOOK }).actions);
}

describe('runDoctor', () => {
  it('renders ✓/✗ rows with the fix under each ✗, and is not ok when one fails', async () => {
    const report = await runDoctor([
      { name: 'database', run: () => ({ ok: true, detail: 'PGlite ./data' }) },
      { name: 'connection', run: async () => ({ ok: false, detail: 'token expired 2 days ago', fix: 'reconnect the account' }) },
      { name: 'queue', run: () => { throw new Error('pg-boss not started'); } },
    ]);
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(report.text.split('\n')).toEqual([
      '✓ database    PGlite ./data',
      '✗ connection  token expired 2 days ago',
      '              → fix: reconnect the account',
      '✗ queue       check failed: pg-boss not started',
      '              → fix: see the message; run doctor again once fixed',
      '',
      '2 of 3 checks failed.',
    ]);
  });

  it('is ok when every check passes', async () => {
    const report = await runDoctor([{ name: 'a', run: () => ({ ok: true, detail: 'fine' }) }]);
    expect(report.ok).toBe(true);
    expect(renderDoctor(report.results)).toContain('All 1 checks passed.');
  });
});

describe('provisionChecks', () => {
  it('passes on a provisioned account', async () => {
    const report = await runDoctor(provisionChecks(spec, provisioned(), HOOK));
    expect(report.results.map((r) => `${r.ok ? '✓' : '✗'} ${r.name}`)).toEqual([
      '✓ pipeline sales', '✓ field leads.object', '✓ field leads.cost', '✓ field contacts.phone', '✓ webhook subscription',
    ]);
    expect(report.ok).toBe(true);
    expect(report.text).not.toContain('s3cr3t');
  });

  it('finds a deleted field, a missing stage, a missing option, a retyped field and a disabled webhook', async () => {
    const account = provisioned();
    const sales = account.pipelines.find((p) => p.name === 'Sales');
    const call = sales?._embedded.statuses.find((s) => s.name === 'Call');
    if (call) call.name = 'Phone call';
    account.fields.leads = account.fields.leads.filter((f) => f.code !== 'COST');
    const object = account.fields.leads.find((f) => f.code === 'OBJECT');
    if (object) object.enums = (object.enums ?? []).filter((e) => e.value !== 'Кондо');
    account.fields.contacts = [field('contacts', 'Телефон', 'text', { code: 'PHONE' })];
    account.webhooks = [webhook(HOOK, [...WEBHOOK_SETTINGS], true)];

    const report = await runDoctor(provisionChecks(spec, account, HOOK));
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.results.map((r) => [r.name, r]));
    expect(byName['pipeline sales']).toMatchObject({ ok: false, detail: 'stages missing: Call (renamed in amoCRM?)' });
    expect(byName['field leads.object']).toMatchObject({ ok: false, detail: 'options missing: Кондо' });
    expect(byName['field leads.cost']).toMatchObject({ ok: false, detail: 'field "Стоимость" is missing' });
    expect(byName['field leads.cost']?.fix).toContain('leadbridge setup');
    expect(byName['field contacts.phone']?.detail).toContain('is of type text, the config says multitext');
    expect(byName['webhook subscription']).toMatchObject({ ok: false });
    expect(byName['webhook subscription']?.detail).toContain('is disabled');
    expect(byName['webhook subscription']?.detail).toContain('secret=***');
    expect(report.text).not.toContain('s3cr3t');
  });

  it('reports a missing subscription and one lacking events', async () => {
    const missing = await runDoctor(provisionChecks(spec, emptyAccount(), HOOK));
    expect(missing.results.at(-1)?.detail).toBe('no subscription for https://leads.example.com/api/webhooks/amo?secret=***');
    const account = provisioned();
    account.webhooks = [webhook(HOOK, ['add_lead', 'update_lead'])];
    const lacking = await runDoctor(provisionChecks(spec, account, HOOK));
    expect(lacking.results.at(-1)?.detail).toBe(
      'subscription lacks events: status_lead, responsible_lead, delete_lead, restore_lead, add_contact, update_contact',
    );
  });
});

describe('explainAmoError', () => {
  const validation = {
    status: 400,
    problem: {
      title: 'Bad Request',
      status: 400,
      detail: 'Request validation failed',
      'validation-errors': [
        { request_id: 'asia_deals', errors: [{ code: 'NotSupportedChoice', path: '_embedded.statuses.1.color', detail: 'The value you selected is not a valid choice.' }] },
        { request_id: 'object', errors: [{ code: 'NotBlank', path: 'name', detail: 'This value should not be blank.' }] },
      ],
    },
  };

  it('names the config items and fields behind validation errors', () => {
    const text = explainAmoError(validation, {
      step: 'create the pipelines',
      labels: { asia_deals: 'pipeline "Asia Deals"', object: 'leads field "Объект"' },
      stages: { asia_deals: ['stage "Новый лид"', 'stage "Первичный контакт"'] },
    });
    expect(text).toBe([
      'Could not create the pipelines: amoCRM rejected the request, nothing in it was created.',
      '  - pipeline "Asia Deals": the colour (it must be one of the amoCRM palette colours) of stage "Первичный контакт" is not a value amoCRM accepts (amoCRM: The value you selected is not a valid choice.)',
      '  - leads field "Объект": the name must not be empty (amoCRM: This value should not be blank.)',
      'Fix the config and run setup again.',
    ].join('\n'));
  });

  it('explains rights, payment, limits and outages in plain words', () => {
    const ctx = { step: 'subscribe the webhook', labels: {} };
    expect(explainAmoError({ status: 403 }, ctx)).toContain('needs an administrator');
    expect(explainAmoError({ status: 402 }, ctx)).toContain('not paid');
    expect(explainAmoError({ status: 401 }, ctx)).toContain('Reconnect the account');
    expect(explainAmoError({ code: 'RECONNECT_REQUIRED' }, ctx)).toContain('Reconnect the account');
    expect(explainAmoError({ status: 422, problem: { detail: 'Limit 250 per page' } }, ctx)).toContain('Limit 250 per page');
    expect(explainAmoError({ status: 429 }, ctx)).toContain('request limit');
    expect(explainAmoError({ status: 503, message: 'Service Unavailable' }, ctx)).toContain('Run setup again');
    expect(explainAmoError(new Error('boom'), ctx)).toBe('Could not subscribe the webhook: boom');
  });
});

describe('findResolvedField / findResolvedStage', () => {
  const resolved = planProvision(spec, provisioned()).resolved;

  it('finds a field by key, code or id', () => {
    const object = resolved.fields.leads.object;
    expect(object?.code).toBe('OBJECT');
    expect(findResolvedField(resolved, 'leads', 'object')).toBe(object);
    expect(findResolvedField(resolved, 'leads', 'object')?.enums['Кондо']).toBeTypeOf('number');
    expect(findResolvedField(resolved, 'leads', 'OBJECT')).toBe(object);
    expect(findResolvedField(resolved, 'leads', object?.id ?? 0)).toBe(object);
    expect(findResolvedField(resolved, 'contacts', 'object')).toBeUndefined();
    expect(findResolvedField(resolved, 'leads', 'nope')).toBeUndefined();
  });

  it('finds a stage by keys and passes numeric ids through', () => {
    const sales = resolved.pipelines.sales;
    expect(findResolvedStage(resolved, 'sales', 'call')).toEqual({ pipelineId: sales?.id, statusId: sales?.stages.call });
    expect(findResolvedStage(resolved, 'sales')).toEqual({ pipelineId: sales?.id });
    expect(findResolvedStage(resolved, 'sales', 142)).toEqual({ pipelineId: sales?.id, statusId: 142 });
    expect(findResolvedStage(resolved, 777, 888)).toEqual({ pipelineId: 777, statusId: 888 });
    expect(findResolvedStage(resolved, 'sales', 'nope')).toBeUndefined();
    expect(findResolvedStage(resolved, 'other', 'call')).toBeUndefined();
  });
});
