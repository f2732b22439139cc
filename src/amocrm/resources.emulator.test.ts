// Contract tests: every resource against the emulator over real HTTP (emulator rate limit off for speed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { AmoClient } from './client.js';
import { AmoNotFoundError, AmoValidationError } from './errors.js';
import { complexResultsByRequestId } from './resources/leads.js';
import { MemoryTokenStore, tokenSetFromResponse } from './tokens.js';
import type { Pipeline } from './types.js';

let emu: RunningEmulator;
let amo: AmoClient;
let pipeline: Pipeline;
let stageId: number;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, autoApprove: true, rateLimit: false, logger: false });
  const tokens = new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens({ admin: true }), Date.now()));
  amo = new AmoClient({
    domain: emu.config.domain,
    baseUrl: emu.url,
    oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
    tokens,
    rateLimit: { perSecond: 500 },
  });
  const pipelines = await amo.pipelines.list();
  pipeline = pipelines.find((p) => p.is_main) ?? pipelines[0]!;
  stageId = pipeline._embedded.statuses.find((s) => s.type === 0 && s.id !== 142 && s.id !== 143)!.id;
});
afterAll(async () => {
  await emu.close();
});

const phoneField = (phone: string) => ({ field_code: 'PHONE', values: [{ value: phone, enum_code: 'WORK' }] });
const emailField = (email: string) => ({ field_code: 'EMAIL', values: [{ value: email, enum_code: 'WORK' }] });

describe('account and users', () => {
  it('reads the account and users', async () => {
    const acc = await amo.account.get(['amojo_id']);
    expect(acc.id).toBe(emu.config.accountId);
    const page = await amo.users.list({ limit: 2 });
    expect(page.items.length).toBeGreaterThan(0);
    const all = [];
    for await (const u of amo.users.iterate({ limit: 1 })) all.push(u);
    expect(all.length).toBeGreaterThanOrEqual(page.items.length);
    expect(await amo.users.get(all[0]!.id)).toMatchObject({ id: all[0]!.id });
  });
});

describe('leads', () => {
  it('creates, reads, lists, iterates and updates', async () => {
    const created = await amo.leads.create([
      { name: 'A', price: 10, pipeline_id: pipeline.id, status_id: stageId, request_id: 'a' },
      { name: 'B', price: 20, request_id: 'b' },
    ]);
    expect(created.map((c) => c.request_id).sort()).toEqual(['a', 'b']);
    const idA = created.find((c) => c.request_id === 'a')!.id;
    expect(await amo.leads.get(idA)).toMatchObject({ id: idA, name: 'A', custom_fields_values: null });
    expect(await amo.leads.get(99_999_999)).toBeNull();

    const filtered = await amo.leads.list({ filter: { id: [idA] } });
    expect(filtered.items.map((l) => l.id)).toEqual([idA]);
    const byStatus = await amo.leads.list({ filter: { statuses: [{ pipeline_id: pipeline.id, status_id: stageId }] } });
    expect(byStatus.items.some((l) => l.id === idA)).toBe(true);

    const ids: number[] = [];
    for await (const l of amo.leads.iterate({ limit: 1, order: { id: 'asc' } })) ids.push(l.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);

    await amo.leads.update([{ id: idA, price: 99 }]);
    await amo.leads.updateOne(idA, { name: 'A2' });
    expect(await amo.leads.get(idA)).toMatchObject({ name: 'A2', price: 99 });
    expect((await amo.leads.list({ query: 'nothing-matches-this-xyz' })).items).toEqual([]);
  });

  it('surfaces validation errors by request_id', async () => {
    const err = await amo.leads
      .create([{ name: 'ok', request_id: 'r1' }, { name: 'bad', status_id: 1, pipeline_id: pipeline.id, request_id: 'r2' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoValidationError);
    expect((err as AmoValidationError).validationErrors.map((v) => v.requestId)).toContain('r2');
  });

  it('creates complex leads and matches results by request_id', async () => {
    const res = await amo.leads.createComplex([
      {
        name: 'Complex',
        request_id: 'cx-1',
        _embedded: { contacts: [{ first_name: 'Ivan', custom_fields_values: [phoneField('+79120000001')] }] },
      },
    ]);
    const map = complexResultsByRequestId(res);
    const r = map.get('cx-1');
    expect(r).toMatchObject({ merged: false });
    expect(typeof r?.contact_id).toBe('number');
    expect(await amo.leads.get(r!.id, { with: ['contacts'] })).toMatchObject({ id: r!.id });
  });
});

describe('contacts and companies', () => {
  it('creates, reads, updates and finds contacts by phone or email', async () => {
    const [c] = await amo.contacts.create([
      { name: 'Petr', custom_fields_values: [phoneField('+7 (912) 555-11-22'), emailField('Petr@Example.test')], request_id: 'c1' },
    ]);
    expect(await amo.contacts.get(c!.id)).toMatchObject({ id: c!.id, name: 'Petr' });
    await amo.contacts.update([{ id: c!.id, name: 'Petr P' }]);
    expect((await amo.contacts.get(c!.id))?.name).toBe('Petr P');

    expect((await amo.contacts.findByPhoneOrEmail({ phone: '89125551122' }))?.contact.id).toBe(c!.id);
    expect(await amo.contacts.findByPhoneOrEmail({ email: 'petr@example.TEST' })).toMatchObject({
      matchedBy: 'email',
      contact: { id: c!.id },
    });
    expect(await amo.contacts.findByPhoneOrEmail({ phone: '+79125551123' })).toBeNull();
    expect((await amo.contacts.list({ limit: 50 })).items.length).toBeGreaterThan(0);
    expect(await amo.contacts.get(99_999_999)).toBeNull();
  });

  it('creates, reads, lists and updates companies', async () => {
    const [co] = await amo.companies.create([{ name: 'ACME', request_id: 'co' }]);
    expect(await amo.companies.get(co!.id)).toMatchObject({ name: 'ACME' });
    await amo.companies.update([{ id: co!.id, name: 'ACME Ltd' }]);
    expect((await amo.companies.get(co!.id))?.name).toBe('ACME Ltd');
    expect((await amo.companies.list()).items.some((x) => x.id === co!.id)).toBe(true);
  });
});

describe('pipelines and statuses', () => {
  it('runs the full CRUD cycle', async () => {
    const [p] = await amo.pipelines.create([
      { name: 'Sales 2', sort: 20, is_main: false, is_unsorted_on: false, request_id: 'p', _embedded: { statuses: [{ name: 'New', sort: 10 }] } },
    ]);
    expect(p).toMatchObject({ name: 'Sales 2' });
    expect(await amo.pipelines.get(p!.id)).toMatchObject({ id: p!.id });
    await amo.pipelines.update(p!.id, { name: 'Sales II' });
    expect((await amo.pipelines.get(p!.id))?.name).toBe('Sales II');

    const [s] = await amo.pipelines.statuses.create(p!.id, [{ name: 'Qualified', sort: 30, color: '#fffeb2' }]);
    expect((await amo.pipelines.statuses.list(p!.id)).some((x) => x.id === s!.id)).toBe(true);
    await amo.pipelines.statuses.update(p!.id, s!.id, { name: 'Qualified!' });
    expect((await amo.pipelines.statuses.get(p!.id, s!.id))?.name).toBe('Qualified!');
    await amo.pipelines.statuses.delete(p!.id, s!.id);
    expect((await amo.pipelines.statuses.list(p!.id)).some((x) => x.id === s!.id)).toBe(false);
    await amo.pipelines.delete(p!.id);
    expect((await amo.pipelines.list()).some((x) => x.id === p!.id)).toBe(false);
  });
});

describe('custom fields', () => {
  it('lists all pages, creates, updates and deletes', async () => {
    const all = await amo.customFields.listAll('leads');
    expect(all.some((f) => f.code === 'UTM_SOURCE')).toBe(true);
    const paged = await amo.customFields.listAll('leads', { limit: 2 });
    expect(paged.map((f) => f.id).sort()).toEqual(all.map((f) => f.id).sort());
    const tracking = await amo.customFields.list('leads', { types: ['tracking_data'] });
    expect(tracking.items.every((f) => f.type === 'tracking_data')).toBe(true);

    const [f] = await amo.customFields.create('leads', [
      { name: 'Lead UUID', type: 'text', code: 'LB_UUID', request_id: 'f' },
    ]);
    expect(f).toMatchObject({ code: 'LB_UUID' });
    await amo.customFields.updateOne('leads', f!.id, { sort: 999 });
    expect((await amo.customFields.get('leads', f!.id))?.sort).toBe(999);
    await amo.customFields.delete('leads', f!.id);
    expect(await amo.customFields.get('leads', f!.id).catch((e: unknown) => e)).toBeInstanceOf(AmoNotFoundError);
    expect((await amo.customFields.groups.list('leads')).length).toBeGreaterThan(0);
  });
});

describe('notes, tasks, tags, links', () => {
  it('creates and lists notes', async () => {
    const [lead] = await amo.leads.create([{ name: 'Noted' }]);
    const [n] = await amo.notes.create('leads', [{ entity_id: lead!.id, note_type: 'common', params: { text: 'hello' } }]);
    expect(typeof n?.id).toBe('number');
    expect((await amo.notes.list('leads', lead!.id)).items.map((x) => x.id)).toContain(n!.id);
    expect((await amo.notes.list('leads', undefined, { noteTypes: ['common'] })).items.length).toBeGreaterThan(0);
  });

  it('creates, lists and completes tasks', async () => {
    const [lead] = await amo.leads.create([{ name: 'Tasked' }]);
    const [t] = await amo.tasks.create([
      { text: 'Call back', complete_till: Math.floor(Date.now() / 1000) + 3600, entity_id: lead!.id, entity_type: 'leads', request_id: 't' },
    ]);
    expect((await amo.tasks.list({ filter: { entity_id: [lead!.id], entity_type: 'leads' } })).items.map((x) => x.id)).toContain(t!.id);
    await amo.tasks.complete(t!.id, 'Called');
    expect(await amo.tasks.get(t!.id)).toMatchObject({ is_completed: true, result: { text: 'Called' } });
    await amo.tasks.update([{ id: t!.id, text: 'Call back (done)' }]);
    expect((await amo.tasks.get(t!.id))?.text).toBe('Call back (done)');
  });

  it('creates and lists tags', async () => {
    const [tag] = await amo.tags.create('leads', [{ name: 'site-form' }]);
    expect(tag).toMatchObject({ name: 'site-form' });
    expect((await amo.tags.list('leads', { name: 'site-form' })).items.map((x) => x.id)).toContain(tag!.id);
  });

  it('links, lists and unlinks', async () => {
    const [lead] = await amo.leads.create([{ name: 'Linked' }]);
    const [contact] = await amo.contacts.create([{ name: 'Link me' }]);
    await amo.links.link('leads', lead!.id, [{ to_entity_id: contact!.id, to_entity_type: 'contacts', metadata: { is_main: true } }]);
    expect((await amo.links.list('leads', lead!.id)).items.some((l) => l.to_entity_id === contact!.id)).toBe(true);
    await amo.links.unlink('leads', lead!.id, [{ to_entity_id: contact!.id, to_entity_type: 'contacts' }]);
    expect((await amo.links.list('leads', lead!.id)).items.some((l) => l.to_entity_id === contact!.id)).toBe(false);
  });
});

describe('unsorted, events, webhooks', () => {
  const form = (uid: string) => ({
    source_name: 'landing',
    source_uid: uid,
    pipeline_id: pipeline.id,
    _embedded: {
      leads: [{ name: `Form ${uid}` }],
      contacts: [{ first_name: 'Olga', custom_fields_values: [phoneField(`+7912000${uid.length}${Date.now() % 1000}`)] }],
    },
    metadata: { form_id: 'f1', form_name: 'Callback', form_page: 'https://example.test', form_sent_at: Math.floor(Date.now() / 1000) },
  });

  it('creates form leads, lists, reads, accepts and declines', async () => {
    const [u1, u2] = await amo.unsorted.createForms([form('u-1'), form('u-22')]);
    expect(u1?.uid).toBeTruthy();
    expect((await amo.unsorted.list({ category: ['forms'] })).items.map((x) => x.uid)).toContain(u1!.uid);
    expect(await amo.unsorted.get(u1!.uid)).toMatchObject({ uid: u1!.uid });
    const accepted = await amo.unsorted.accept(u1!.uid, { status_id: stageId });
    expect(accepted?._embedded.leads.length).toBe(1);
    const declined = await amo.unsorted.decline(u2!.uid, {});
    expect(declined?._embedded.leads.length).toBe(1);
  });

  it('lists and iterates events with filters', async () => {
    const [lead] = await amo.leads.create([{ name: 'Evented' }]);
    emu.control.moveLead(lead!.id, pipeline.id, 142);
    const page = await amo.events.list({ types: ['lead_status_changed'], createdAt: { from: 0 }, entities: ['lead'], limit: 100 });
    expect(page.items.some((e) => e.entity_id === lead!.id)).toBe(true);
    const all = [];
    for await (const e of amo.events.iterate({ limit: 1, types: ['lead_status_changed'] })) all.push(e);
    expect(all.length).toBeGreaterThan(0);
    expect(typeof all[0]!.id).toBe('string');
  });

  it('subscribes (upsert), lists and unsubscribes webhooks', async () => {
    const destination = 'https://hooks.example.test/amo?k=secret';
    const sub = await amo.webhooks.subscribe({ destination, settings: ['add_lead'] });
    expect(sub).toMatchObject({ destination });
    const again = await amo.webhooks.subscribe({ destination, settings: ['add_lead', 'status_lead'] });
    expect(again.settings).toEqual(expect.arrayContaining(['status_lead']));
    expect(await amo.webhooks.list({ destination })).toHaveLength(1);
    await amo.webhooks.unsubscribe(destination);
    expect(await amo.webhooks.list({ destination })).toHaveLength(0);
  });
});
