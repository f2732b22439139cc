// The emulator on its own, over real HTTP: the Graph error envelope, body and template checks, the async 131047,
// webhook signing over Meta-escaped bytes, retries on a non-200, ordering switches, limits and the control routes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureValid } from '../whatsapp/index.js';
import { DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, maxInWindow, startWhatsAppEmulator, type RunningWhatsAppEmulator } from './index.js';

const SECRET = 'emu-test-secret';

/** A receiver that records raw bodies and answers with the next scripted status (200 when none). */
interface Receiver {
  url: string;
  bodies: { raw: Buffer; signature: string | undefined }[];
  script: number[];
  server: Server;
}
async function receiver(): Promise<Receiver> {
  const r = { bodies: [], script: [] } as unknown as Receiver;
  r.server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.bodies.push({ raw: Buffer.concat(chunks), signature: req.headers['x-hub-signature-256'] as string | undefined });
      res.statusCode = r.script.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

let emu: RunningWhatsAppEmulator;
let rcv: Receiver;
beforeAll(async () => {
  rcv = await receiver();
  emu = await startWhatsAppEmulator({ appSecret: SECRET, webhookUrl: rcv.url, statusDelaysMs: { sent: 5, delivered: 10, read: 15 }, webhookRetryMs: [30, 30] });
});
afterAll(async () => {
  await emu?.close();
  await new Promise((r) => rcv?.server.close(r));
});

const send = async (body: unknown, token = DEFAULT_TOKEN, path = `/v23.0/${DEFAULT_PHONE_NUMBER_ID}/messages`) => {
  const res = await fetch(emu.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { error?: Record<string, unknown>; messages?: { id: string }[]; contacts?: unknown[] } };
};
const tpl = (name: string, language: string, params: unknown[] = []) => ({
  messaging_product: 'whatsapp',
  to: '+79161110001',
  type: 'template',
  template: { name, language: { code: language }, ...(params.length ? { components: [{ type: 'body', parameters: params }] } : {}) },
});

describe('Graph-shaped answers', () => {
  it('answers 200 with contacts[].wa_id (digits) and a wamid', async () => {
    const r = await send(tpl('hello_world', 'en_US'));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ messaging_product: 'whatsapp', contacts: [{ input: '+79161110001', wa_id: '79161110001' }], messages: [{ message_status: 'accepted' }] });
    expect(r.json.messages?.[0]?.id).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
  });

  it('refuses a bad token (401, 190 OAuthException) and an unknown phone number id (400, 100) in the Graph envelope', async () => {
    const bad = await send(tpl('hello_world', 'en_US'), 'nope');
    expect(bad.status).toBe(401);
    expect(bad.json.error).toMatchObject({ code: 190, type: 'OAuthException', error_data: { messaging_product: 'whatsapp' } });
    expect(bad.json.error?.fbtrace_id).toEqual(expect.any(String));
    expect(bad.json.error?.message).toMatch(/^\(#190\) /);
    expect((await send(tpl('hello_world', 'en_US'), DEFAULT_TOKEN, '/v23.0/999/messages')).json.error).toMatchObject({ code: 100 });
  });

  it('checks the body: messaging_product, to, text length', async () => {
    expect((await send({ to: '+79161110001', type: 'text', text: { body: 'x' } })).json.error).toMatchObject({ code: 100 });
    expect((await send({ messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } })).json.error).toMatchObject({ code: 131008 });
    expect((await send({ messaging_product: 'whatsapp', to: '+79161110001', type: 'text', text: { body: 'x'.repeat(4097) } })).json.error).toMatchObject({ code: 100 });
  });

  it('applies the template registry: 132001 (404), 132000, 132012, 132015', async () => {
    const unknown = await send(tpl('lead_welcome', 'de', [{ type: 'text', text: 'A' }]));
    expect(unknown).toMatchObject({ status: 404, json: { error: { code: 132001 } } });
    expect((await send(tpl('pending_offer', 'ru', [{ type: 'text', text: 'A' }]))).json.error).toMatchObject({ code: 132001 });
    expect((await send(tpl('lead_welcome', 'ru'))).json.error).toMatchObject({ code: 132000 });
    expect((await send(tpl('lead_welcome', 'ru', [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }]))).json.error).toMatchObject({ code: 132000 });
    expect((await send(tpl('lead_named', 'ru', [{ type: 'text', text: 'A' }]))).json.error).toMatchObject({ code: 132012 });
    expect((await send(tpl('lead_named', 'ru', [{ type: 'text', parameter_name: 'first_name', text: 'A' }]))).status).toBe(200);
    expect((await send(tpl('paused_offer', 'ru', [{ type: 'text', text: '10%' }]))).json.error).toMatchObject({ code: 132015 });
  });
});

describe('webhooks', () => {
  it('signs every status webhook over the exact bytes, written ASCII-only as Meta does; copies biz_opaque_callback_data', async () => {
    await emu.control.flush(); // earlier tests' webhooks out of the way
    emu.control.reset();
    rcv.bodies.length = 0;
    const r = await send({ ...tpl('lead_welcome', 'ru', [{ type: 'text', text: 'Анна 🙂' }]), biz_opaque_callback_data: 'step:Σ/1' });
    await emu.control.flush();
    expect(rcv.bodies).toHaveLength(3);
    for (const b of rcv.bodies) {
      expect(signatureValid(b.raw, b.signature, SECRET)).toBe(true);
      expect(signatureValid(b.raw, b.signature, 'other')).toBe(false);
      expect(/^[\x20-\x7e]*$/.test(b.raw.toString('latin1'))).toBe(true);
    }
    const first = JSON.parse(rcv.bodies[0]!.raw.toString('utf8'));
    expect(first).toMatchObject({
      object: 'whatsapp_business_account',
      entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: DEFAULT_PHONE_NUMBER_ID }, statuses: [{ id: r.json.messages![0]!.id, status: 'sent', recipient_id: '79161110001', biz_opaque_callback_data: 'step:Σ/1' }] } }] }],
    });
    expect(rcv.bodies[0]!.raw.toString()).toContain('step:\\u03a3\\/1');
    expect(typeof first.entry[0].changes[0].value.statuses[0].timestamp).toBe('string');
    expect(emu.control.messages()[0]).toMatchObject({ status: 'read', text: 'Здравствуйте, Анна 🙂! Спасибо за заявку. Мы свяжемся с вами в ближайшее время.' });
  });

  it('accepts free text outside the window, then fails it with 131047; inside the window after an inbound it is delivered', async () => {
    await emu.control.flush(); // earlier tests' webhooks out of the way
    emu.control.reset();
    rcv.bodies.length = 0;
    await send({ messaging_product: 'whatsapp', to: '+79161110002', type: 'text', text: { body: 'Привет' } });
    await emu.control.flush();
    const failed = JSON.parse(rcv.bodies.at(-1)!.raw.toString()).entry[0].changes[0].value.statuses[0];
    expect(failed).toMatchObject({ status: 'failed', errors: [{ code: 131047, title: 'Re-engagement message' }] });

    const inboundId = await emu.control.inbound({ from: '+79161110002', text: 'Да, слушаю' });
    const inbound = JSON.parse(rcv.bodies.at(-1)!.raw.toString()).entry[0].changes[0].value;
    expect(inbound).toMatchObject({ contacts: [{ wa_id: '79161110002' }], messages: [{ id: inboundId, from: '79161110002', type: 'text', text: { body: 'Да, слушаю' } }] });
    await send({ messaging_product: 'whatsapp', to: '+79161110002', type: 'text', text: { body: 'Отлично' } });
    await emu.control.flush();
    expect(emu.control.messages().at(-1)).toMatchObject({ text: 'Отлично', status: 'read' });
  });

  it('retries a webhook the receiver refused', async () => {
    await emu.control.flush(); // earlier tests' webhooks out of the way
    emu.control.reset();
    rcv.bodies.length = 0;
    rcv.script.push(500, 503);
    await emu.control.inbound({ from: '+79161110003', text: 'hi' });
    await emu.control.flush();
    expect(emu.control.deliveries().map((d) => [d.attempt, d.status])).toEqual([[1, 500], [2, 503], [3, 200]]);
    expect(new Set(rcv.bodies.map((b) => b.raw.toString())).size).toBe(1);
  });

  it('can send read before delivered, and duplicates', async () => {
    const rcv2 = await receiver();
    const e = await startWhatsAppEmulator({ appSecret: SECRET, webhookUrl: rcv2.url, readBeforeDelivered: true, duplicateStatuses: true, statusDelaysMs: { sent: 5, delivered: 10, read: 30 } });
    try {
      const res = await fetch(`${e.url}/v23.0/${DEFAULT_PHONE_NUMBER_ID}/messages`, { method: 'POST', headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(tpl('hello_world', 'en_US')) });
      expect(res.status).toBe(200);
      await e.control.flush();
      const order = rcv2.bodies.map((b) => JSON.parse(b.raw.toString()).entry[0].changes[0].value.statuses[0].status);
      expect(order).toEqual(['sent', 'sent', 'read', 'read', 'delivered', 'delivered']);
    } finally {
      await e.close();
      await new Promise((r) => rcv2.server.close(r));
    }
  });
});

describe('limits and faults', () => {
  it('pair rate limit → 131056; throughput → 130429; scripted faults through the control routes', async () => {
    const e = await startWhatsAppEmulator({ pairLimit: { windowMs: 60_000, max: 2 }, messagesPerSecond: 1000 });
    try {
      const post = () => fetch(`${e.url}/v23.0/${DEFAULT_PHONE_NUMBER_ID}/messages`, { method: 'POST', headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(tpl('hello_world', 'en_US')) });
      expect((await post()).status).toBe(200);
      expect((await post()).status).toBe(200);
      expect(await (await post()).json()).toMatchObject({ error: { code: 131056 } });
      const f = await fetch(`${e.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 2, status: 500, code: 131000 }) });
      expect(f.status).toBe(200);
      expect([(await post()).status, (await post()).status]).toEqual([500, 500]);
      const list = (await (await fetch(`${e.url}/_emulator/messages`)).json()) as { messages: unknown[] };
      expect(list.messages).toHaveLength(2);
      const page = await fetch(`${e.url}/_emulator/`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('WhatsApp Cloud API emulator');
      const inbound = await fetch(`${e.url}/_emulator/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(inbound.status).toBe(400);
    } finally {
      await e.close();
    }
    const slow = await startWhatsAppEmulator({ messagesPerSecond: 2, pairLimit: false });
    try {
      const codes = await Promise.all(
        [1, 2, 3].map(async () => {
          const res = await fetch(`${slow.url}/v23.0/${DEFAULT_PHONE_NUMBER_ID}/messages`, { method: 'POST', headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(tpl('hello_world', 'en_US')) });
          return ((await res.json()) as { error?: { code: number } }).error?.code ?? 200;
        }),
      );
      expect(codes.sort((a, b) => a - b)).toEqual([200, 200, 130429]);
    } finally {
      await slow.close();
    }
  });

  it('maxInWindow counts the fullest 1-second window', () => {
    expect(maxInWindow([])).toBe(0);
    expect(maxInWindow([0, 999, 1000, 1998, 1999])).toBe(3);
    expect(maxInWindow([5, 0, 500, 1001])).toBe(3);
  });
});
