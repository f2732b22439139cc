// buildWhatsAppEmulator(): a Fastify app shaped like the Graph API's send endpoint (fact sheet §10), with its
// state (messages, arrivals, the 24 h window per person), the webhook sender and the /_emulator control routes.
import Fastify, { type FastifyReply } from 'fastify';
import { controlRoutes } from './control-routes.js';
import type { Arrival, BuiltWhatsAppEmulator, EmulatedMessage, Fault, InboundInput, WhatsAppEmulatorControl, WhatsAppEmulatorOptions } from './options.js';
import { checkTemplate, DEFAULT_TEMPLATES, type Template } from './templates.js';
import { WebhookSender } from './webhook-sender.js';
import { digits, envelope, graphError, metaJson, unixSeconds, wamid, webhookError } from './wire.js';

export const DEFAULT_TOKEN = 'emulator-whatsapp-token';
export const DEFAULT_PHONE_NUMBER_ID = '106540352242922';
export const DEFAULT_DISPLAY_PHONE_NUMBER = '15550783881';
export const DEFAULT_WABA_ID = '102290129340398';
export const DEFAULT_APP_SECRET = 'emulator-whatsapp-app-secret';
const WINDOW_MS = 24 * 3600_000;
const MAX_LOG = 50_000;

const ASYNC_FAILURES: Record<number, [string, string]> = {
  131026: ['Message undeliverable', 'Message Undeliverable.'],
  131047: ['Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.'],
  131049: ['This message was not delivered to maintain healthy ecosystem engagement.', 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.'],
  131050: ['Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', 'User stopped marketing messages.'],
};

export function defaultFailureFor(waId: string): number | undefined {
  if (waId.endsWith('0026')) return 131026;
  if (waId.endsWith('0049')) return 131049;
  if (waId.endsWith('0050')) return 131050;
  return undefined;
}

/** The most timestamps in any window [t, t + windowMs). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

export async function buildWhatsAppEmulator(opts: WhatsAppEmulatorOptions = {}): Promise<BuiltWhatsAppEmulator> {
  const config = {
    token: opts.token ?? DEFAULT_TOKEN,
    phoneNumberId: opts.phoneNumberId ?? DEFAULT_PHONE_NUMBER_ID,
    displayPhoneNumber: opts.displayPhoneNumber ?? DEFAULT_DISPLAY_PHONE_NUMBER,
    wabaId: opts.wabaId ?? DEFAULT_WABA_ID,
    appSecret: opts.appSecret ?? DEFAULT_APP_SECRET,
  };
  const now = opts.now ?? Date.now;
  const perSecond = opts.messagesPerSecond ?? 80;
  const pair = opts.pairLimit === false ? undefined : (opts.pairLimit ?? { windowMs: 6000, max: 45 });
  const failureFor = opts.failureFor ?? defaultFailureFor;
  const delays = { sent: opts.statusDelaysMs?.sent ?? 20, delivered: opts.statusDelaysMs?.delivered ?? 40, read: opts.statusDelaysMs?.read ?? 80 };
  let webhookUrl = opts.webhookUrl;
  let templates: Template[] = [...(opts.templates ?? DEFAULT_TEMPLATES)];
  let messages: EmulatedMessage[] = [];
  let arrivals: Arrival[] = [];
  let faults: Fault[] = [];
  const lastInbound = new Map<string, number>();
  const recentTo = new Map<string, number[]>();
  let throughput: number[] = [];
  const sender = new WebhookSender({ appSecret: config.appSecret, url: () => webhookUrl, retryMs: opts.webhookRetryMs ?? [1000, 5000, 30_000], now });

  const statusBody = (m: EmulatedMessage, status: 'sent' | 'delivered' | 'read' | 'failed', errorCode?: number): string => {
    const category = m.type === 'template' ? (templates.find((t) => t.name === m.template?.name)?.category.toLowerCase() ?? 'marketing') : 'service';
    const s: Record<string, unknown> = { id: m.id, status, timestamp: unixSeconds(now()), recipient_id: m.waId };
    if (m.callbackData !== undefined) s.biz_opaque_callback_data = m.callbackData;
    if (status === 'failed' && errorCode) {
      const [title, details] = ASYNC_FAILURES[errorCode] ?? ['Something went wrong', 'Unknown error'];
      s.errors = [webhookError(errorCode, title, details)];
    } else {
      s.pricing = { billable: m.type === 'template', pricing_model: 'PMP', type: m.type === 'template' ? 'regular' : 'free_customer_service', category };
    }
    return metaJson(envelope(config, 'messages', { statuses: [s] }));
  };

  const scheduleStatuses = (m: EmulatedMessage, failure: number | undefined): void => {
    const emit = (status: 'sent' | 'delivered' | 'read' | 'failed', delay: number, code?: number): void => {
      setTimeout(() => {
        // The record shows the furthest status, as a receiver should.
        const rank = { accepted: 0, sent: 1, delivered: 2, read: 3, failed: 4 } as const;
        if (rank[status] > rank[m.status]) m.status = status;
        if (code) m.errorCode = code;
      }, delay).unref();
      const body = statusBody(m, status, code);
      sender.schedule(body, delay, m.id);
      if (opts.duplicateStatuses) sender.schedule(body, delay + 1, m.id);
    };
    if (failure) return emit('failed', delays.sent, failure);
    emit('sent', delays.sent);
    if (opts.readBeforeDelivered && delays.read !== false) {
      emit('read', delays.delivered);
      emit('delivered', delays.delivered + Math.max(5, delays.read - delays.delivered));
      return;
    }
    emit('delivered', delays.delivered);
    if (delays.read !== false) emit('read', delays.read);
  };

  const app = Fastify({ logger: opts.logger ?? false, forceCloseConnections: true, bodyLimit: 5 * 1024 * 1024 });
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(null, { __invalid_json: true });
    }
  });

  const refuse = (reply: FastifyReply, arrival: Arrival, httpStatus: number, code: number, message: string, details?: string): FastifyReply => {
    arrival.status = httpStatus;
    arrival.code = code;
    return reply.code(httpStatus).send(graphError(code, message, details));
  };

  app.post<{ Params: { version: string; phoneNumberId: string } }>('/:version/:phoneNumberId/messages', async (req, reply) => {
    const arrival: Arrival = { at: now(), status: 200 };
    arrivals.push(arrival);
    if (arrivals.length > MAX_LOG) arrivals = arrivals.slice(-MAX_LOG);
    const fault = faults.shift();
    if (fault && !('hang' in fault)) {
      arrival.status = fault.status;
      if (fault.code === undefined) return reply.code(fault.status).type('text/html').send(`<html><body>${fault.status}</body></html>`);
      arrival.code = fault.code;
      return reply.code(fault.status).send(graphError(fault.code, fault.message ?? 'Service temporarily unavailable'));
    }
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || auth !== `Bearer ${config.token}`) {
      return refuse(reply, arrival, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
    }
    if (!/^v\d+\.\d+$/.test(req.params.version)) return refuse(reply, arrival, 400, 2500, 'Unknown path components', `unknown version ${req.params.version}`);
    if (req.params.phoneNumberId !== config.phoneNumberId) {
      return refuse(reply, arrival, 400, 100, `Unsupported post request. Object with ID '${req.params.phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`);
    }
    const t = now();
    throughput = throughput.filter((x) => t - x < 1000);
    if (throughput.length >= perSecond) return refuse(reply, arrival, 400, 130429, 'Rate limit hit', 'Cloud API message throughput has been reached.');
    throughput.push(t);

    const b = (req.body ?? {}) as Record<string, unknown>;
    if (b.__invalid_json) return refuse(reply, arrival, 400, 100, 'Invalid parameter', 'the body is not valid JSON');
    if (b.messaging_product !== 'whatsapp') return refuse(reply, arrival, 400, 100, 'Invalid parameter', 'messaging_product must be "whatsapp"');
    if (typeof b.to !== 'string' || b.to === '') return refuse(reply, arrival, 400, 131008, 'Required parameter is missing', 'The parameter to is required.');
    const waId = digits(b.to);
    if (!/^\d{7,15}$/.test(waId)) return refuse(reply, arrival, 400, 131009, 'Parameter value is not valid', `to (${b.to}) is not a valid phone number`);
    const type = typeof b.type === 'string' ? b.type : 'text';
    if (type !== 'text' && type !== 'template') return refuse(reply, arrival, 400, 131051, 'Unsupported message type', `the emulator supports text and template, not ${type}`);
    if (!b[type] || typeof b[type] !== 'object') return refuse(reply, arrival, 400, 131008, 'Required parameter is missing', `The parameter ${type} is required.`);
    const callbackData = typeof b.biz_opaque_callback_data === 'string' ? b.biz_opaque_callback_data : undefined;
    if (callbackData !== undefined && callbackData.length > 512) return refuse(reply, arrival, 400, 100, 'Invalid parameter', 'biz_opaque_callback_data is longer than 512 characters');

    const m: EmulatedMessage = { id: wamid(), at: t, to: b.to, waId, type, status: 'accepted', body: b, ...(callbackData !== undefined ? { callbackData } : {}) };
    if (type === 'text') {
      const text = (b.text as { body?: unknown }).body;
      if (typeof text !== 'string' || text === '') return refuse(reply, arrival, 400, 131008, 'Required parameter is missing', 'The parameter text.body is required.');
      if (text.length > 4096) return refuse(reply, arrival, 400, 100, 'Invalid parameter', 'text.body is longer than 4096 characters');
      m.text = text;
    } else {
      const sent = b.template as { name?: unknown; language?: { code?: unknown }; components?: unknown };
      const check = checkTemplate(templates, sent);
      if (!check.ok) return refuse(reply, arrival, check.code === 132001 ? 404 : 400, check.code!, check.title!, check.details);
      m.template = { name: String(sent.name), language: String(sent.language?.code), params: check.params ?? [] };
      m.text = check.rendered;
    }
    if (pair) {
      const list = (recentTo.get(waId) ?? []).filter((x) => t - x < pair.windowMs);
      if (list.length >= pair.max) return refuse(reply, arrival, 400, 131056, '(Business Account, Consumer Account) pair rate limit hit', 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.');
      list.push(t);
      recentTo.set(waId, list);
    }

    messages.push(m);
    if (messages.length > MAX_LOG) messages = messages.slice(-MAX_LOG);
    // Free text outside the window is accepted and fails later, as the real API does (fact sheet §2, §10.4).
    const last = lastInbound.get(waId);
    const outside = type === 'text' && (last === undefined || t - last >= WINDOW_MS);
    scheduleStatuses(m, failureFor(waId) ?? (outside ? 131047 : undefined));
    if (fault && 'hang' in fault) {
      arrival.status = 0;
      return reply.hijack(); // accepted, never answered: the client sees a timeout
    }
    return reply.code(200).send({ messaging_product: 'whatsapp', contacts: [{ input: b.to, wa_id: waId }], messages: [{ id: m.id, ...(type === 'template' ? { message_status: 'accepted' } : {}) }] });
  });

  const control: WhatsAppEmulatorControl = {
    messages: () => [...messages],
    arrivals: () => [...arrivals],
    maxPerSecond: () => maxInWindow(arrivals.map((a) => a.at)),
    async inbound(input: InboundInput) {
      const from = digits(input.from);
      const id = wamid();
      const t = now();
      lastInbound.set(from, t);
      const msg: Record<string, unknown> = { from, id, timestamp: unixSeconds(t) };
      if (input.button) Object.assign(msg, { type: 'button', button: { payload: input.button.payload, text: input.button.text ?? input.button.payload } });
      else Object.assign(msg, { type: 'text', text: { body: input.text ?? '' } });
      if (input.context) msg.context = { from: config.displayPhoneNumber, id: input.context };
      await sender.sendNow(metaJson(envelope(config, 'messages', { contacts: [{ profile: { name: input.name ?? 'Emulated person' }, wa_id: from }], messages: [msg] })));
      return id;
    },
    async preference(phone, value) {
      const wa = digits(phone);
      const detail = value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages';
      await sender.sendNow(
        metaJson(envelope(config, 'user_preferences', { contacts: [{ wa_id: wa, profile: { name: 'Emulated person' } }], user_preferences: [{ wa_id: wa, detail, category: 'marketing_messages', value, timestamp: Math.floor(now() / 1000) }] })),
      );
    },
    failNext(n, fault) {
      for (let i = 0; i < n; i++) faults.push(fault);
    },
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    templates: () => [...templates],
    addTemplate(t) {
      templates = [...templates.filter((x) => !(x.name === t.name && x.language === t.language)), t];
    },
    deliveries: () => [...sender.log],
    flush: (timeoutMs) => sender.flush(timeoutMs),
    reset() {
      messages = [];
      arrivals = [];
      faults = [];
      throughput = [];
      lastInbound.clear();
      recentTo.clear();
      sender.reset();
    },
  };

  await app.register(controlRoutes(control));
  app.addHook('onClose', async () => sender.close());
  return { app, control, config };
}
