// The WhatsApp channel against the emulator over real HTTP: sends (template, free text, the 24 h window), errors
// (131026, 130429, 5xx, timeouts, template errors), the signed webhook receiver (statuses, inbound, STOP, dedupe,
// 401/400/403) and the per-number rate limit measured at the emulator.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { and, asc, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { domainEvents, whatsappContacts, whatsappMessages, whatsappWebhooks } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import {
  DEFAULT_PHONE_NUMBER_ID,
  DEFAULT_TOKEN,
  metaJson,
  sign,
  startWhatsAppEmulator,
  verifyWebhook,
  type RunningWhatsAppEmulator,
} from '../whatsapp-emulator/index.js';
import { classifyErrorCode, createWhatsAppChannel, type WhatsAppChannel, type WhatsAppChannelOptions } from './index.js';

const APP_SECRET = 'test-app-secret-0123456789';
const VERIFY_TOKEN = 'test-verify-token-abcdef';
const ACCOUNT = 'default';

let tdb: TestDb;
let app: FastifyInstance;
let base: string;
let emu: RunningWhatsAppEmulator;
let channel: WhatsAppChannel;

const channelWith = (o: Partial<WhatsAppChannelOptions> = {}): WhatsAppChannel =>
  createWhatsAppChannel({ apiUrl: emu.url, graphVersion: 'v23.0', token: DEFAULT_TOKEN, phoneNumberId: DEFAULT_PHONE_NUMBER_ID, db: tdb.db, account: ACCOUNT, ...o });

beforeAll(async () => {
  tdb = await createTestDb();
  app = await buildApp({
    config: testConfig(),
    db: tdb,
    extraRoutes: [() => whatsappRoutes()],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  emu = await startWhatsAppEmulator({ appSecret: APP_SECRET, webhookUrl: `${base}/api/webhooks/whatsapp`, statusDelaysMs: { sent: 5, delivered: 10, read: 15 } });
  channel = channelWith();
});
afterAll(async () => {
  await emu?.close();
  await app?.close();
  await tdb?.cleanup();
});

import { whatsappWebhookRoutes } from './index.js';
const whatsappRoutes = () => whatsappWebhookRoutes({ db: tdb.db, account: ACCOUNT, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, phoneNumberId: DEFAULT_PHONE_NUMBER_ID });

let seq = 0;
/** A fresh Russian mobile number per test; `suffix` picks the emulator's failure rules (0026 → 131026). */
const phone = (suffix = ''): string => {
  seq++;
  const tail = (suffix || String(1000 + seq).slice(-4)).padStart(4, '0');
  return `+7916${String(100 + seq).slice(-3)}${tail}`;
};
const events = async (type: string) =>
  (await tdb.db.select().from(domainEvents).where(eq(domainEvents.type, type)).orderBy(asc(domainEvents.id))).map((e) => e.payload as Record<string, unknown>);
const messageRow = async (id: string) => (await tdb.db.select().from(whatsappMessages).where(eq(whatsappMessages.messageId, id)))[0];
const webhookCount = async () => (await tdb.db.select({ n: sql<number>`count(*)::int` }).from(whatsappWebhooks))[0]?.n ?? 0;
const eventCount = async () => (await tdb.db.select({ n: sql<number>`count(*)::int` }).from(domainEvents).where(like(domainEvents.type, 'whatsapp.%')))[0]?.n ?? 0;
const postHook = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('sending', () => {
  it('sends a template with its body parameters; the signed status webhooks are recorded and emitted', async () => {
    const to = phone();
    const step = `step:${randomUUID()}`;
    const r = await channel.send({ to, template: { name: 'lead_welcome', language: 'ru', params: ['Анна'] }, callbackData: step });
    expect(r).toMatchObject({ ok: true, response: 'accepted' });
    if (!r.ok) return;
    const sent = emu.control.messages().find((m) => m.id === r.messageId);
    expect(sent).toMatchObject({ to, type: 'template', template: { name: 'lead_welcome', language: 'ru', params: ['Анна'] }, callbackData: step });
    expect(sent?.text).toContain('Здравствуйте, Анна!');
    expect(sent?.body).toMatchObject({ messaging_product: 'whatsapp', template: { components: [{ type: 'body', parameters: [{ type: 'text', text: 'Анна' }] }] } });

    await emu.control.flush();
    expect(await messageRow(r.messageId)).toMatchObject({ status: 'read', to, kind: 'template', templateName: 'lead_welcome', callbackData: step, errorCode: null });
    const statuses = (await events('whatsapp.status')).filter((e) => e.message_id === r.messageId);
    expect(statuses.map((e) => e.status).sort()).toEqual(['delivered', 'read', 'sent']);
    expect(statuses[0]).toMatchObject({ phone: to, callback_data: step, error_code: null });
  });

  it('refuses free text outside the 24 h window without calling the API, and sends it after the person writes', async () => {
    const to = phone();
    const before = emu.control.arrivals().length;
    const r = await channel.send({ to, text: 'Добрый день! Удобно поговорить?', callbackData: 'step:text-1' });
    expect(r).toMatchObject({ ok: false, kind: 'skip', code: 'outside_24h_window' });
    expect(emu.control.arrivals().length).toBe(before);

    // The person writes (Cyrillic and emoji, \u-escaped and signed over those bytes, as Meta does).
    const inboundId = await emu.control.inbound({ from: to, text: 'Здравствуйте, расскажите подробнее 🙂', name: 'Анна' });
    const inbound = (await events('whatsapp.inbound')).find((e) => e.message_id === inboundId);
    expect(inbound).toMatchObject({ phone: to, type: 'text', text: 'Здравствуйте, расскажите подробнее 🙂', stop: false, context_message_id: null });
    const [contact] = await tdb.db.select().from(whatsappContacts).where(and(eq(whatsappContacts.account, ACCOUNT), eq(whatsappContacts.waId, to.slice(1))));
    expect(contact?.lastInboundAt).toBeInstanceOf(Date);
    expect(contact?.profileName).toBe('Анна');

    const ok = await channel.send({ to, text: 'Конечно! Отправляю каталог.', callbackData: 'step:text-2' });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    await emu.control.flush();
    expect(emu.control.messages().find((m) => m.id === ok.messageId)).toMatchObject({ type: 'text', text: 'Конечно! Отправляю каталог.', status: 'read' });
    expect(await messageRow(ok.messageId)).toMatchObject({ status: 'read', kind: 'text' });

    // 24 h later (injected clock) the window is closed again.
    const later = channelWith({ clock: () => new Date(Date.now() + 24 * 3600_000) });
    expect(await later.send({ to, text: 'Ещё вопрос?', callbackData: 'step:text-3' })).toMatchObject({ ok: false, kind: 'skip', code: 'outside_24h_window' });
  });

  it('free text the API itself finds outside the window fails asynchronously with 131047 (a skip)', async () => {
    const to = phone();
    // Our table says the person wrote (the emulator never heard from them): Meta is the judge.
    await tdb.db.insert(whatsappContacts).values({ account: ACCOUNT, waId: to.slice(1), lastInboundAt: new Date() });
    const r = await channel.send({ to, text: 'Привет', callbackData: 'step:131047' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    await emu.control.flush();
    expect(await messageRow(r.messageId)).toMatchObject({ status: 'failed', errorCode: 131047 });
    expect((await events('whatsapp.status')).find((e) => e.message_id === r.messageId)).toMatchObject({ status: 'failed', error_code: 131047, callback_data: 'step:131047' });
    expect(classifyErrorCode(131047)).toMatchObject({ kind: 'skip', code: 'outside_24h_window' });
  });

  it('131026 (undeliverable) arrives as a failed status: permanent, and the number gets no further sends', async () => {
    const to = phone('0026');
    const r = await channel.send({ to, template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: 'step:131026' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    await emu.control.flush();
    expect(await messageRow(r.messageId)).toMatchObject({ status: 'failed', errorCode: 131026, errorTitle: 'Message undeliverable' });
    const ev = (await events('whatsapp.status')).find((e) => e.message_id === r.messageId);
    expect(ev).toMatchObject({ status: 'failed', error_code: 131026, phone: to, callback_data: 'step:131026' });
    expect(classifyErrorCode(131026)).toMatchObject({ kind: 'permanent', code: '131026' });
    const before = emu.control.arrivals().length;
    expect(await channel.send({ to, template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: 'step:again' })).toMatchObject({ ok: false, kind: 'permanent', code: 'undeliverable' });
    expect(emu.control.arrivals().length).toBe(before);
  });

  it('130429 (throughput) is transient with a retry delay; the retry is sent', async () => {
    emu.control.failNext(1, { status: 400, code: 130429, message: 'Rate limit hit' });
    const m = { to: phone(), template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: 'step:130429' };
    const r = await channel.send(m);
    expect(r).toMatchObject({ ok: false, kind: 'transient', code: '130429' });
    expect(!r.ok && r.retryAfterMs).toBeGreaterThan(0);
    expect((await channel.send(m)).ok).toBe(true);

    // The emulator's own throughput limit, hit by a client allowed to go faster than the number.
    const slow = await startWhatsAppEmulator({ messagesPerSecond: 3 });
    try {
      const fast = createWhatsAppChannel({ apiUrl: slow.url, graphVersion: 'v23.0', token: DEFAULT_TOKEN, phoneNumberId: DEFAULT_PHONE_NUMBER_ID, db: tdb.db, account: ACCOUNT, ratePerSecond: 100 });
      const results = await Promise.all(Array.from({ length: 6 }, () => fast.send({ ...m, to: phone() })));
      expect(results.filter((x) => x.ok)).toHaveLength(3);
      expect(results.filter((x) => !x.ok)).toEqual(Array(3).fill(expect.objectContaining({ kind: 'transient', code: '130429' })));
    } finally {
      await slow.close();
    }
  });

  it('sorts 5xx, template errors, a bad token, a dead server and a timeout after acceptance', async () => {
    const tpl = { name: 'lead_reminder', language: 'ru', params: ['Анна', 'вилла на Пхукете'] };
    emu.control.failNext(1, { status: 503 });
    expect(await channel.send({ to: phone(), template: tpl, callbackData: 's' })).toMatchObject({ ok: false, kind: 'transient', code: 'http_503' });
    emu.control.failNext(1, { status: 500, code: 131000, message: 'Something went wrong' });
    expect(await channel.send({ to: phone(), template: tpl, callbackData: 's' })).toMatchObject({ ok: false, kind: 'transient', code: '131000' });
    expect(await channel.send({ to: phone(), template: { ...tpl, params: ['Анна'] }, callbackData: 's' })).toMatchObject({ ok: false, kind: 'permanent', code: '132000' });
    expect(await channel.send({ to: phone(), template: { ...tpl, name: 'no_such_template' }, callbackData: 's' })).toMatchObject({ ok: false, kind: 'permanent', code: '132001' });
    expect(await channel.send({ to: phone(), template: { name: 'paused_offer', language: 'ru', params: ['10%'] }, callbackData: 's' })).toMatchObject({ ok: false, kind: 'permanent', code: '132015' });
    // An expired token is an account problem, not this person's: transient with a long wait.
    const badToken = channelWith({ token: 'expired' });
    const auth = await badToken.send({ to: phone(), template: tpl, callbackData: 's' });
    expect(auth).toMatchObject({ ok: false, kind: 'transient', code: '190' });
    expect(!auth.ok && auth.retryAfterMs).toBeGreaterThanOrEqual(60_000);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dead = channelWith({ apiUrl: `http://127.0.0.1:${port}` });
    expect(await dead.send({ to: phone(), template: tpl, callbackData: 's' })).toMatchObject({ ok: false, kind: 'transient', code: 'network' });
    expect(await channel.send({ to: '89161234567', template: tpl, callbackData: 's' })).toMatchObject({ ok: false, kind: 'permanent', code: 'invalid_phone' });

    // Accepted and recorded by the API, but the answer never comes: unknown, never to be resent blindly.
    emu.control.failNext(1, { hang: true });
    const to = phone();
    const hung = await channelWith({ timeoutMs: 300 }).send({ to, template: tpl, callbackData: 'step:hang' });
    expect(hung).toMatchObject({ ok: false, kind: 'unknown', code: 'timeout' });
    expect(emu.control.messages().some((m) => m.to === to && m.callbackData === 'step:hang')).toBe(true);
    // Its status webhooks still carry the step id, so the engine can settle the attempt.
    await emu.control.flush();
    expect((await events('whatsapp.status')).some((e) => e.callback_data === 'step:hang' && e.status === 'delivered')).toBe(true);
  });

  it('never exceeds the per-number rate: 50 concurrent sends at 10/s, measured at the emulator', async () => {
    const limited = channelWith({ ratePerSecond: 10 });
    const from = emu.control.arrivals().length;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => limited.send({ to: phone(), template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: `step:rate-${i}` })),
    );
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.ok)).toBe(true);
    const times = emu.control.arrivals().slice(from).map((a) => a.at);
    expect(times).toHaveLength(50);
    const { maxInWindow } = await import('../whatsapp-emulator/index.js');
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(10);
    // 50 sends at 10/s: the last one cannot start before 4 s.
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    await emu.control.flush();
    console.log(`rate: 50 sends at 10/s took ${elapsed} ms; max ${maxInWindow(times, 1000)} in any 1 s window at the emulator`);
  }, 60_000);
});

describe('webhook receiver', () => {
  it('answers the verification handshake only for subscribe + the right verify token', async () => {
    expect(await verifyWebhook(`${base}/api/webhooks/whatsapp`, VERIFY_TOKEN)).toEqual({ ok: true, status: 200 });
    expect(await verifyWebhook(`${base}/api/webhooks/whatsapp`, 'wrong-token')).toEqual({ ok: false, status: 403 });
    const res = await fetch(`${base}/api/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'WHATSAPP_VERIFY_TOKEN_INVALID' });
  });

  it('answers 401 to a wrong or missing signature (or one over re-serialised JSON) and stores nothing', async () => {
    const body = metaJson({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: DEFAULT_PHONE_NUMBER_ID }, messages: [{ from: '79160000001', id: 'wamid.forged', timestamp: '1750263773', type: 'text', text: { body: 'Привет' } }] } }] }],
    });
    await emu.control.flush(); // nothing of earlier tests still in flight
    const [w0, e0] = [await webhookCount(), await eventCount()];
    const wrong = await postHook(body, { 'x-hub-signature-256': sign(body, 'another-secret') });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'WHATSAPP_SIGNATURE_INVALID' });
    const missing = await postHook(body);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 'WHATSAPP_SIGNATURE_MISSING' });
    // Signed over the bytes Meta sent, but the receiver would see a re-serialised copy: must not pass.
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(reserialised).not.toBe(body);
    expect((await postHook(reserialised, { 'x-hub-signature-256': sign(body, APP_SECRET) })).status).toBe(401);
    expect((await postHook(body, { 'x-hub-signature-256': 'sha256=zz' })).status).toBe(401);
    expect([await webhookCount(), await eventCount()]).toEqual([w0, e0]);
  });

  it('answers 400 with a code to signed bad JSON', async () => {
    const body = '{"object":"whatsapp_business_account","entry":[';
    const res = await postHook(body, { 'x-hub-signature-256': sign(body, APP_SECRET) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'WHATSAPP_MALFORMED_JSON' });
    const notWa = '{"hello":1}';
    expect(await (await postHook(notWa, { 'x-hub-signature-256': sign(notWa, APP_SECRET) })).json()).toMatchObject({ code: 'WHATSAPP_NOT_WHATSAPP' });
  });

  it('answers 200 (never 5xx) to odd but signed items: missing fields, wrong types, NUL characters', async () => {
    const value = (v: Record<string, unknown>) => ({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: DEFAULT_PHONE_NUMBER_ID }, ...v } }] }] });
    const odd = [
      value({ statuses: [{ id: 'wamid.x1', status: 'failed', timestamp: 'soon' }] }),
      value({ statuses: [{ id: 'wamid.x2', status: 'failed', timestamp: '1', recipient_id: '79160000009', errors: ['boom', { code: 'x' }], biz_opaque_callback_data: 7 }] }),
      value({ messages: [{ from: '79160000008', id: 'wamid.x3', timestamp: '1', type: 'text', text: { body: 42 } }], contacts: 'nope' }),
      value({ messages: [{ from: '79160000008', id: 'wamid.x4', timestamp: '1', type: 'text', text: { body: 'a\u0000b' }, context: { id: 5 } }] }),
      value({ messages: [{ from: '79160000008', id: 'wamid.x5', timestamp: '1', type: 'button', button: { payload: 1, text: null } }] }),
      { object: 'whatsapp_business_account', entry: [{ changes: 'none' }, null, { changes: [null, { value: null }] }] },
    ];
    for (const p of odd) {
      const body = metaJson(p); // NUL goes out as the JSON escape \u0000
      const res = await postHook(body, { 'x-hub-signature-256': sign(body, APP_SECRET) });
      expect(res.status, body).toBe(200);
    }
    expect((await events('whatsapp.inbound')).find((e) => e.message_id === 'wamid.x4')).toMatchObject({ text: 'a\uFFFDb', context_message_id: null });
    expect((await events('whatsapp.inbound')).find((e) => e.message_id === 'wamid.x3')).toMatchObject({ text: null, stop: false });
    expect((await events('whatsapp.status')).find((e) => e.message_id === 'wamid.x2')).toMatchObject({ error_code: null, callback_data: null });
  });

  it('applies a repeated delivery once (Meta retries), and never moves a status backwards', async () => {
    const r = await channel.send({ to: phone(), template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: 'step:dup' });
    if (!r.ok) throw new Error('send failed');
    await emu.control.flush();
    const statusOf = (body: string) => JSON.parse(body).entry[0].changes[0].value.statuses?.[0] as { id: string; status: string } | undefined;
    const deliveries = emu.control.deliveries().filter((d) => statusOf(d.body)?.id === r.messageId);
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
    const e0 = await eventCount();
    const delivered = deliveries.find((d) => statusOf(d.body)?.status === 'delivered')!;
    const again = await postHook(delivered.body, { 'x-hub-signature-256': sign(delivered.body, APP_SECRET) });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', applied: 0 });
    expect(await eventCount()).toBe(e0);
    expect(await messageRow(r.messageId)).toMatchObject({ status: 'read' });
  });

  it('a STOP button or reply is an inbound with stop: true; a user_preferences stop too; templates to them are refused', async () => {
    const to = phone();
    const sent = await channel.send({ to, template: { name: 'lead_welcome', language: 'ru', params: ['Олег'] }, callbackData: 'step:stop' });
    if (!sent.ok) throw new Error('send failed');
    const tap = await emu.control.inbound({ from: to, button: { payload: 'STOP_FOLLOWUPS', text: 'Не присылать' }, context: sent.messageId });
    expect((await events('whatsapp.inbound')).find((e) => e.message_id === tap)).toMatchObject({ phone: to, type: 'button', stop: true, context_message_id: sent.messageId });
    expect(await channel.send({ to, template: { name: 'lead_welcome', language: 'ru', params: ['Олег'] }, callbackData: 'step:after-stop' })).toMatchObject({ ok: false, kind: 'permanent', code: 'opted_out' });

    const other = phone();
    const said = await emu.control.inbound({ from: other, text: 'СТОП, пожалуйста!' });
    expect((await events('whatsapp.inbound')).find((e) => e.message_id === said)).toMatchObject({ stop: true, text: 'СТОП, пожалуйста!' });
    const talk = await emu.control.inbound({ from: other, text: 'Не останавливайтесь, расскажите про виллу с тремя спальнями' });
    expect((await events('whatsapp.inbound')).find((e) => e.message_id === talk)).toMatchObject({ stop: false });

    const third = phone();
    await emu.control.preference(third, 'stop');
    expect((await events('whatsapp.inbound')).filter((e) => e.phone === third)).toEqual([expect.objectContaining({ type: 'user_preferences', stop: true })]);
    expect(await channel.send({ to: third, template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: 's' })).toMatchObject({ kind: 'permanent', code: 'opted_out' });
    await emu.control.preference(third, 'resume');
    expect((await channel.send({ to: third, template: { name: 'hello_world', language: 'en_US', params: [] }, callbackData: 's' })).ok).toBe(true);
  });
});
