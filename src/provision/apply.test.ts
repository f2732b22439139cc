// Setup and doctor against the amoCRM emulator over real HTTP, through the real AmoClient.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { AmoClient, MemoryTokenStore, tokenSetFromResponse } from '../amocrm/index.js';
import { ProvisionSpecSchema, type ProvisionSpec } from './spec.js';
import { applyProvision, loadSnapshot, ProvisionError } from './apply.js';
import { provisionApiFromClient } from './client-adapter.js';
import { provisionChecks, runDoctor } from './doctor.js';
import { planProvision } from './plan.js';
import type { ProvisionApi } from './port.js';
import { NOTHING_TO_CHANGE, renderApplied, renderPlan } from './render.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';

const HOOK = 'https://leads.example.com/api/webhooks/amo/5f2b8c1d9e7a4f60b3c2d1e0f9a8b7c6';
const asia: ProvisionSpec = ProvisionSpecSchema.parse(
  (parse(readFileSync(new URL('../../presets/asia-deals.yaml', import.meta.url), 'utf8')) as { account: unknown }).account,
);

let emu: RunningEmulator;
let api: ProvisionApi;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, logger: false, rateLimit: false });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.control.reset();
  api = await apiFor({ admin: true });
});

async function apiFor(opts: { admin: boolean }): Promise<ProvisionApi> {
  const tokens = new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens(opts), Date.now()));
  const client = new AmoClient({
    domain: emu.config.domain,
    baseUrl: emu.url,
    oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
    tokens,
    rateLimit: { perSecond: 1000 },
  });
  return provisionApiFromClient(client);
}

async function setup(spec: ProvisionSpec = asia) {
  const plan = planProvision(spec, await loadSnapshot(api), { webhookUrl: HOOK });
  const result = await applyProvision(api, plan);
  return { plan, result };
}

describe('applyProvision against the emulator', () => {
  it('creates the Asia Deals preset in a fresh account, and a second run changes nothing', async () => {
    const { plan, result } = await setup();
    expect(plan.problems).toEqual([]);
    expect(result.applied).toHaveLength(plan.actions.length);
    expect(result.problems).toEqual([]);
    expect(renderApplied(result)).toContain(`Done: ${plan.actions.length} changes made.\n  ✓ create pipeline "Asia Deals"`);

    const state = await loadSnapshot(api);
    const pipeline = state.pipelines.find((p) => p.name === 'Asia Deals');
    expect(pipeline?._embedded.statuses.filter((s) => s.type === 0 && s.id !== 142 && s.id !== 143).map((s) => s.name)).toEqual([
      'Новый лид', 'Первичный контакт', 'Презентация', 'Выбор объекта', 'Резервирование', 'Сделка', 'Завершено',
    ]);
    const stages = result.resolved.pipelines.asia_deals?.stages ?? {};
    expect(pipeline?.id).toBe(result.resolved.pipelines.asia_deals?.id);
    expect(stages.new_lead).toBe(pipeline?._embedded.statuses.find((s) => s.name === 'Новый лид')?.id);
    expect(Object.keys(stages)).toHaveLength(7);

    const object = state.fields.leads.find((f) => f.code === 'OBJECT');
    expect(object).toMatchObject({ name: 'Объект', type: 'select' });
    expect(object?.enums?.map((e) => e.value)).toEqual(['Вилла', 'Апартаменты', 'Кондо', 'Таунхаус', 'Земельный участок']);
    expect(result.resolved.fields.leads.object?.enums['Кондо']).toBe(object?.enums?.find((e) => e.value === 'Кондо')?.id);
    expect(Object.keys(result.resolved.fields.leads)).toHaveLength(9);
    expect(Object.keys(result.resolved.fields.contacts)).toHaveLength(7);
    expect(result.resolved.fields.contacts.utm_source?.type).toBe('text');

    const hook = state.webhooks.find((w) => w.destination === HOOK);
    expect(hook?.disabled).toBe(false);
    expect([...(hook?.settings ?? [])].sort()).toEqual([...WEBHOOK_SETTINGS].sort());

    const again = planProvision(asia, await loadSnapshot(api), { webhookUrl: HOOK });
    expect(again.actions).toEqual([]);
    expect(again.problems).toEqual([]);
    expect(renderPlan(again)).toBe(NOTHING_TO_CHANGE);
    expect(again.resolved).toEqual(result.resolved);
    expect(renderApplied(await applyProvision(api, again))).toBe(NOTHING_TO_CHANGE);
  });

  it('lets doctor find a deleted field and a disabled webhook, and setup repairs both', async () => {
    const { result } = await setup();
    const healthy = await runDoctor(provisionChecks(asia, await loadSnapshot(api), HOOK));
    expect(healthy.ok).toBe(true);

    const cost = result.resolved.fields.leads.object_cost?.id ?? 0;
    emu.control.deleteField('leads', cost);
    emu.control.setWebhookDisabled(HOOK, true);
    const sick = await runDoctor(provisionChecks(asia, await loadSnapshot(api), HOOK));
    expect(sick.ok).toBe(false);
    expect(sick.results.filter((r) => !r.ok).map((r) => r.name)).toEqual(['field leads.object_cost', 'webhook subscription']);
    expect(sick.text).toContain('✗ field leads.object_cost');
    expect(sick.text).toContain('is disabled');
    expect(sick.text).not.toContain('5f2b8c1d9e7a4f60');

    const repair = await setup();
    expect(repair.plan.actions.map((a) => a.kind)).toEqual(['create_field', 'subscribe_webhook']);
    expect(repair.result.resolved.fields.leads.object_cost?.id).not.toBe(cost);
    expect((await runDoctor(provisionChecks(asia, await loadSnapshot(api), HOOK))).ok).toBe(true);
  });

  it('adds a new option to an existing list field without dropping the others', async () => {
    const { result } = await setup();
    const more = structuredClone(asia);
    const object = more.fields.leads.find((f) => f.key === 'object');
    object?.enums?.push('Пентхаус');
    const { plan, result: after } = await setup(more);
    expect(plan.actions.map((a) => a.kind)).toEqual(['add_enums']);
    const enums = after.resolved.fields.leads.object?.enums ?? {};
    expect(Object.keys(enums)).toEqual(['Вилла', 'Апартаменты', 'Кондо', 'Таунхаус', 'Земельный участок', 'Пентхаус']);
    expect(enums['Вилла']).toBe(result.resolved.fields.leads.object?.enums['Вилла']);
  });

  it('creates the FitZone deal fields in the main pipeline account, then has nothing to do', async () => {
    const fitzone = ProvisionSpecSchema.parse(
      (parse(readFileSync(new URL('../../presets/fitzone.yaml', import.meta.url), 'utf8')) as { account: unknown }).account,
    );
    const { plan, result } = await setup(fitzone);
    expect(plan.actions.map((a) => (a.kind === 'create_field' ? a.input.name : a.kind))).toEqual([
      'Телефон', 'Направление тренировки', 'Источник', 'subscribe_webhook',
    ]);
    expect(result.problems).toEqual([]);
    expect(Object.keys(result.resolved.fields.leads)).toEqual(['lead_phone', 'training_direction', 'source']);
    expect(result.resolved.fields.contacts.phone?.type).toBe('multitext');
    expect((await setup(fitzone)).plan.actions).toEqual([]);
  });

  it('turns a refusal into a plain-language ProvisionError', async () => {
    const plan = planProvision(asia, await loadSnapshot(api), { webhookUrl: HOOK });
    const manager = await apiFor({ admin: false });
    const err = await applyProvision(manager, plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).message).toMatch(/^Could not create the pipelines: amoCRM refused\. .*needs an administrator/);
    expect((err as ProvisionError).applied).toEqual([]);
  });
});
