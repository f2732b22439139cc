// Applying a signed webhook body (fact sheet §4): statuses → our messages table + `whatsapp.status`; inbound
// messages → the person's 24 h window + `whatsapp.inbound` (STOP-like replies flagged); `user_preferences` stop →
// opt-out + a `whatsapp.inbound` with type `user_preferences` and stop: true. Meta delivers at least once and
// retries for days, so every item is applied once, keyed in whatsapp_webhook_keys, inside the caller's transaction.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { whatsappWebhookKeys } from '../db/index.js';
import type { Tx } from '../db/index.js';
import { emit, type NewEvent } from '../events/index.js';
import { markUndeliverable, recordInbound, recordPreference, recordStatus, sentMessage } from './sql.js';
import type { WebhookInbound, WebhookPayload, WebhookStatus, WebhookUserPreference, WebhookValue } from './types.js';
import { AppError } from '../errors.js';

/** `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(raw body, app secret), compared in constant time. */
export function signatureValid(raw: Buffer, header: unknown, appSecret: string): boolean {
  if (!appSecret || typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const hex = header.slice(7).trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

export function signBody(raw: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

export const DEFAULT_STOP_WORDS = ['stop', 'unsubscribe', 'optout', 'стоп', 'отписаться', 'отписка', 'отпишите', 'отпишитесь', 'хватит'];
export const DEFAULT_STOP_PAYLOADS = ['STOP', 'STOP_FOLLOWUPS', 'UNSUBSCRIBE', 'OPT_OUT'];

export interface StopRules {
  /** Words that make a short reply (≤ 3 words) an opt-out: "Stop", "Stop, please", "СТОП!". */
  stopWords?: string[];
  /** Quick-reply button payloads / interactive reply ids that opt out (case-insensitive). */
  stopPayloads?: string[];
}

const words = (s: string): string[] => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim().split(' ').filter(Boolean);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Is this inbound message an opt-out? Short replies containing a stop word, or a stop button. */
export function isStop(m: WebhookInbound, rules: StopRules = {}): boolean {
  const stopWords = new Set((rules.stopWords ?? DEFAULT_STOP_WORDS).map((w) => w.toLowerCase()));
  const payloads = new Set((rules.stopPayloads ?? DEFAULT_STOP_PAYLOADS).map((p) => p.toUpperCase()));
  const shortStop = (s: string | undefined): boolean => {
    if (!s) return false;
    const w = words(s);
    return w.length > 0 && w.length <= 3 && w.some((x) => stopWords.has(x));
  };
  const isPayload = (p: string | undefined): boolean => payloads.has((p ?? '').toUpperCase());
  if (m.type === 'text') return shortStop(str(m.text?.body));
  if (m.type === 'button') return isPayload(str(m.button?.payload)) || shortStop(str(m.button?.text));
  if (m.type === 'interactive') {
    const r = m.interactive?.button_reply ?? m.interactive?.list_reply;
    return isPayload(str(r?.id)) || shortStop(str(r?.title));
  }
  return false;
}

/** What a person wrote, as plain text (null for media and the like). */
export function inboundText(m: WebhookInbound): string | null {
  if (m.type === 'text') return str(m.text?.body) ?? null;
  if (m.type === 'button') return str(m.button?.text) ?? str(m.button?.payload) ?? null;
  if (m.type === 'interactive') return str(m.interactive?.button_reply?.title) ?? str(m.interactive?.list_reply?.title) ?? null;
  return null;
}

export class WebhookPayloadError extends AppError<'MALFORMED_JSON' | 'NOT_WHATSAPP'> {}

/** JSON.parse plus the envelope check (`object`, `entry[]`). */
export function parsePayload(raw: string): WebhookPayload {
  let body: unknown;
  try {
    // PostgreSQL text and jsonb cannot hold U+0000: it becomes U+FFFD (the raw body is kept as received).
    body = JSON.parse(raw, (_k, v: unknown) => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v));
  } catch {
    throw new WebhookPayloadError('MALFORMED_JSON', 'the body is not valid JSON');
  }
  const b = body as Partial<WebhookPayload> | null;
  if (!b || typeof b !== 'object' || !Array.isArray(b.entry)) throw new WebhookPayloadError('NOT_WHATSAPP', 'the body has no entry[] array');
  return b as WebhookPayload;
}

const at = (ts: unknown, fallback: Date): Date => {
  const n = Number(ts);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : fallback;
};
const STATUSES = new Set(['sent', 'delivered', 'read', 'failed']);

type Item =
  | { key: string; kind: 'status'; s: WebhookStatus; v: WebhookValue }
  | { key: string; kind: 'inbound'; m: WebhookInbound; v: WebhookValue }
  | { key: string; kind: 'pref'; p: WebhookUserPreference; v: WebhookValue };

export interface ApplyOptions extends StopRules {
  account: string;
  /** Only changes for this business number are applied (others are kept in the raw body only). */
  phoneNumberId?: string;
  now?: () => Date;
}

export interface ApplyResult {
  items: number;
  applied: number;
  ignored: number;
  /** Codes of `value.errors[]` (app or account problems not tied to one message). */
  errors: number[];
}

function itemsOf(payload: WebhookPayload, phoneNumberId: string | undefined): { items: Item[]; ignored: number; errors: number[] } {
  const items: Item[] = [];
  const errors: number[] = [];
  let ignored = 0;
  for (const e of payload.entry ?? []) {
    for (const c of Array.isArray(e?.changes) ? e.changes : []) {
      const v = c?.value;
      if (!v || typeof v !== 'object') continue;
      const forUs = !phoneNumberId || !v.metadata?.phone_number_id || v.metadata.phone_number_id === phoneNumberId;
      const statuses = Array.isArray(v.statuses) ? v.statuses : [];
      const messages = Array.isArray(v.messages) ? v.messages : [];
      const prefs = Array.isArray(v.user_preferences) ? v.user_preferences : [];
      if (Array.isArray(v.errors)) for (const e of v.errors) if (typeof e?.code === 'number') errors.push(e.code);
      if (!forUs) {
        ignored += statuses.length + messages.length + prefs.length;
        continue;
      }
      for (const s of statuses) {
        if (typeof s?.id !== 'string' || typeof s.recipient_id !== 'string' || !STATUSES.has(s.status)) ignored++;
        else items.push({ key: `st:${s.id}:${s.status}`, kind: 'status', s, v });
      }
      for (const m of messages) {
        if (typeof m?.id !== 'string' || typeof m.from !== 'string' || typeof m.type !== 'string') ignored++;
        else items.push({ key: `in:${m.id}`, kind: 'inbound', m, v });
      }
      for (const p of prefs) {
        if (typeof p?.wa_id !== 'string' || (p.value !== 'stop' && p.value !== 'resume')) ignored++;
        else items.push({ key: `pref:${p.wa_id}:${p.timestamp}:${p.value}`, kind: 'pref', p, v });
      }
    }
  }
  return { items, ignored, errors };
}

/** Applies every item not seen before; `tx` must be a transaction (the keys, state and events commit together). */
export async function applyPayload(tx: Tx, payload: WebhookPayload, webhookId: number, opts: ApplyOptions): Promise<ApplyResult> {
  const now = opts.now ?? (() => new Date());
  const { items: all, ignored, errors } = itemsOf(payload, opts.phoneNumberId);
  const seen = new Set<string>();
  const items = all.filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true)));
  if (items.length === 0) return { items: all.length, applied: 0, ignored, errors };
  const fresh = new Set(
    (
      await tx
        .insert(whatsappWebhookKeys)
        .values(items.map((i) => ({ key: i.key, webhookId })))
        .onConflictDoNothing()
        .returning({ key: whatsappWebhookKeys.key })
    ).map((r) => r.key),
  );
  const events: NewEvent[] = [];
  const account = opts.account;
  for (const item of items) {
    if (!fresh.has(item.key)) continue;
    if (item.kind === 'status') {
      const s = item.s;
      const when = at(s.timestamp, now());
      const first = s.status === 'failed' && Array.isArray(s.errors) ? s.errors[0] : undefined;
      const err = first && typeof first === 'object' ? first : undefined;
      const title = typeof err?.title === 'string' ? err.title : typeof err?.message === 'string' ? err.message : null;
      const callback = typeof s.biz_opaque_callback_data === 'string' ? s.biz_opaque_callback_data : null;
      const row = await recordStatus(tx, {
        account,
        messageId: s.id,
        phoneNumberId: item.v.metadata?.phone_number_id ?? null,
        waId: s.recipient_id,
        callbackData: callback,
        status: s.status as 'sent',
        at: when,
        errorCode: typeof err?.code === 'number' ? err.code : null,
        errorTitle: title,
      });
      if (err?.code === 131026) await markUndeliverable(tx, account, s.recipient_id, when);
      events.push({
        type: 'whatsapp.status',
        account,
        occurredAt: when,
        payload: {
          message_id: s.id,
          status: s.status as 'sent',
          phone: row.to ?? `+${s.recipient_id}`,
          callback_data: callback ?? row.callbackData ?? null,
          error_code: typeof err?.code === 'number' ? err.code : null,
          error_title: title,
        },
      });
    } else if (item.kind === 'inbound') {
      const m = item.m;
      const when = at(m.timestamp, now());
      const stop = isStop(m, opts);
      const found = Array.isArray(item.v.contacts) ? item.v.contacts.find((c) => c?.wa_id === m.from)?.profile?.name : undefined;
      const name = typeof found === 'string' ? found : null;
      await recordInbound(tx, account, m.from, when, name, stop);
      // The reply may name the message it answers; our row has the exact E.164 we sent to.
      const contextId = typeof m.context?.id === 'string' ? m.context.id : null;
      const replied = contextId ? await sentMessage(tx, contextId) : undefined;
      events.push({
        type: 'whatsapp.inbound',
        account,
        occurredAt: when,
        payload: {
          phone: replied?.to ?? `+${m.from}`,
          message_id: m.id,
          type: m.type,
          text: inboundText(m),
          stop,
          context_message_id: contextId,
        },
      });
    } else {
      const p = item.p;
      const when = at(p.timestamp, now());
      const stop = p.value === 'stop';
      await recordPreference(tx, account, p.wa_id, when, stop);
      // A resume is recorded only: it is not a reply and must not end anything.
      if (stop) {
        events.push({
          type: 'whatsapp.inbound',
          account,
          occurredAt: when,
          payload: { phone: `+${p.wa_id}`, message_id: item.key, type: 'user_preferences', text: typeof p.detail === 'string' ? p.detail : null, stop: true, context_message_id: null },
        });
      }
    }
  }
  await emit(tx, events);
  return { items: all.length, applied: fresh.size, ignored, errors };
}

