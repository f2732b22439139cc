// The Cloud API client: WhatsAppChannel.send() → POST /{version}/{phone-number-id}/messages (fact sheet §1).
// Order of checks: message shape and phone → the person's state (undeliverable, opted out, 24 h window for free
// text) → the per-number rate limiter → one HTTP call, never retried here (Meta has no idempotency key, §7: the
// engine owns retries). A timeout or a broken connection after the request went out is `unknown`, so it is
// never resent blindly; the status webhook carrying `callbackData` tells what happened.
import { classifyHttpError } from './classify.js';
import { digitsOf, toE164 } from './phone.js';
import { createSendRateLimiter, DEFAULT_RATE_PER_SECOND, type SendRateLimiter } from './rate-limit.js';
import type { Tx } from '../db/index.js';
import { contactState, recordSent } from './sql.js';
import type { GraphError, SendResponse, SendResult, WhatsAppChannel, WhatsAppMessage } from './types.js';

export const DEFAULT_API_URL = 'https://graph.facebook.com';
export const WINDOW_MS = 24 * 3600_000;

export interface WhatsAppChannelOptions {
  /** Graph base URL (default https://graph.facebook.com; the emulator's URL in the sandbox). */
  apiUrl?: string;
  /** Graph API version from config, e.g. 'v23.0'. */
  graphVersion: string;
  /** System user access token. */
  token: string;
  phoneNumberId: string;
  /** Sends per second for this phone number (default 20; Meta's default throughput is 80). */
  ratePerSecond?: number;
  /** Share one limiter between channels of the same number (overrides ratePerSecond). */
  rateLimiter?: SendRateLimiter;
  db: Tx;
  /** The amoCRM account (connection key) the messages belong to. */
  account: string;
  fetch?: typeof fetch;
  clock?: () => Date;
  /** HTTP timeout per send (default 15 s); a timeout is an `unknown` outcome. */
  timeoutMs?: number;
  /** Free text stops this long before the 24 h are over (clock skew, Meta's known issue; default 15 min). */
  windowMarginMs?: number;
  /** Database trouble: the state could not be read (→ transient `local_error`) or an accepted message not recorded (still ok). */
  onRecordError?: (err: unknown) => void;
}

// Errors that prove the request never reached the server: safe to try again.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function errorCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (Array.isArray((e as { errors?: unknown }).errors)) {
      const first = ((e as { errors: unknown[] }).errors)[0];
      const c = (first as { code?: unknown } | undefined)?.code;
      if (typeof c === 'string') return c;
    }
  }
  return undefined;
}

/** The Graph request body for a message (template body parameters are positional, `{{1}}`, `{{2}}`, …). */
export function messageBody(m: WhatsAppMessage, to: string): Record<string, unknown> {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to, biz_opaque_callback_data: m.callbackData };
  if (m.template) {
    const components = m.template.params.length > 0 ? [{ type: 'body', parameters: m.template.params.map((text) => ({ type: 'text', text })) }] : undefined;
    return { ...base, type: 'template', template: { name: m.template.name, language: { code: m.template.language }, ...(components ? { components } : {}) } };
  }
  return { ...base, type: 'text', text: { preview_url: false, body: m.text } };
}

export function createWhatsAppChannel(opts: WhatsAppChannelOptions): WhatsAppChannel {
  const apiUrl = (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const url = `${apiUrl}/${encodeURIComponent(opts.graphVersion)}/${encodeURIComponent(opts.phoneNumberId)}/messages`;
  const doFetch = opts.fetch ?? fetch;
  const clock = opts.clock ?? (() => new Date());
  const limiter = opts.rateLimiter ?? createSendRateLimiter({ perSecond: opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const margin = opts.windowMarginMs ?? 15 * 60_000;

  async function send(m: WhatsAppMessage): Promise<SendResult> {
    const to = toE164(m.to);
    if (!to) return { ok: false, kind: 'permanent', code: 'invalid_phone', message: 'not a valid E.164 phone number' };
    if (!m.template && (typeof m.text !== 'string' || m.text.trim() === '')) {
      return { ok: false, kind: 'permanent', code: 'invalid_message', message: 'a message needs a template or a text' };
    }
    if (!m.template && m.text!.length > 4096) return { ok: false, kind: 'permanent', code: 'invalid_message', message: 'text is longer than 4096 characters' };
    const waId = digitsOf(to);
    let state: Awaited<ReturnType<typeof contactState>>;
    try {
      state = await contactState(opts.db, opts.account, waId);
    } catch (err) {
      // Nothing was sent: safe to try again.
      opts.onRecordError?.(err);
      return { ok: false, kind: 'transient', code: 'local_error', message: 'the person\'s WhatsApp state could not be read', retryAfterMs: 5_000 };
    }
    if (state?.undeliverableAt) return { ok: false, kind: 'permanent', code: 'undeliverable', message: 'an earlier message to this number failed with 131026 (undeliverable)' };
    if (m.template && state?.optedOutAt) return { ok: false, kind: 'permanent', code: 'opted_out', message: 'the person asked to stop WhatsApp messages' };
    if (!m.template) {
      const last = state?.lastInboundAt?.getTime();
      if (last === undefined || clock().getTime() - last >= WINDOW_MS - margin) {
        return { ok: false, kind: 'skip', code: 'outside_24h_window', message: 'free text only within 24 h of the person\'s last message; send a template' };
      }
    }

    const done = await limiter.acquire();
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(messageBody(m, to)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const code = errorCodeOf(err);
      if (code && NOT_SENT.has(code)) return { ok: false, kind: 'transient', code: 'network', message: `connection failed (${code})`, retryAfterMs: 5_000 };
      const timedOut = (err as { name?: string }).name === 'TimeoutError';
      return {
        ok: false,
        kind: 'unknown',
        code: timedOut ? 'timeout' : 'network',
        message: timedOut ? `no answer within ${timeoutMs} ms; the message may have been accepted` : `connection lost (${code ?? 'unknown'}); the message may have been accepted`,
      };
    } finally {
      done();
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok) {
      const r = body as SendResponse | undefined;
      const id = r?.messages?.[0]?.id;
      if (typeof id !== 'string' || id === '') {
        return { ok: false, kind: 'unknown', code: 'bad_response', message: `HTTP ${res.status} without a message id` };
      }
      // The message went out: a failed bookkeeping write must not turn that into a failure (a resend would
      // duplicate it). Status webhooks create the row when this one is missing.
      await recordSent(opts.db, {
        account: opts.account,
        messageId: id,
        phoneNumberId: opts.phoneNumberId,
        to,
        waId: r?.contacts?.[0]?.wa_id ?? waId,
        kind: m.template ? 'template' : 'text',
        templateName: m.template?.name ?? null,
        callbackData: m.callbackData,
      }).catch((err: unknown) => opts.onRecordError?.(err));
      return { ok: true, messageId: id, response: r?.messages?.[0]?.message_status ?? 'accepted' };
    }
    const error = (body as { error?: GraphError } | undefined)?.error;
    return classifyHttpError(res.status, error, res.headers.get('retry-after'));
  }

  return { send };
}
