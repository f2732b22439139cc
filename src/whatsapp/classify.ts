// The one place Cloud API errors are sorted into transient / permanent / skip (fact sheet §5.2–5.3). The follow-up
// engine relies on it: transient → retry after `retryAfterMs` at the earliest; permanent → end WhatsApp for that
// person; skip → this message is not sent, the sequence goes on. Used for synchronous errors (HTTP answer) and
// for the `errors[]` of a `failed` status webhook alike.
import type { SendResult } from './types.js';

export type SendFailure = Extract<SendResult, { ok: false }>;
export type FailureKind = SendFailure['kind'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Transient codes and the least time to wait before the next try. */
const TRANSIENT: Record<number, number> = {
  1: 30_000, // unknown API error
  2: 30_000, // service temporarily down
  4: 5 * MINUTE, // app-level call rate limit
  80007: 5 * MINUTE, // WABA rate limit
  130429: 2_000, // throughput reached: slow the number down
  131000: 30_000, // something went wrong
  131016: MINUTE, // service unavailable
  131048: HOUR, // spam rate limit: too many blocked/reported
  131052: MINUTE, // media download error
  131053: MINUTE, // media upload error
  131056: 6_000, // pair rate limit: ~1 message / 6 s to the same person
  131057: MINUTE, // maintenance mode (throughput upgrade, ≤ 1 min)
  133016: HOUR, // too many register/deregister attempts
};

/**
 * Account-wide problems (token, permissions, payment, policy lock). Retrying cannot fix them, but ending the
 * channel for every person because the token expired would be worse: they are transient with a long wait, so
 * sequences pause until an admin fixes the account (and give up after the engine's max attempts).
 */
const ACCOUNT = new Set([0, 3, 10, 190, 368, 131005, 131031, 131042, 131045]);
const ACCOUNT_WAIT = 15 * MINUTE;

/** Not this message: skipped, the sequence goes on. */
const SKIP: Record<number, { code: string; retryAfterMs?: number }> = {
  131047: { code: 'outside_24h_window' }, // re-engagement: free text more than 24 h after the last inbound
  131049: { code: '131049', retryAfterMs: 24 * HOUR }, // per-user marketing cap: never retry within 24 h
};

/** Permanent for this person or this message (bad data, bad template, not on WhatsApp, opted out). */
const PERMANENT = new Set([100, 131008, 131009, 131021, 131026, 131050, 131051, 135000]);

export function classifyErrorCode(code: number, message = `Cloud API error ${code}`): SendFailure {
  if (code in SKIP) {
    const s = SKIP[code]!;
    return { ok: false, kind: 'skip', code: s.code, message, ...(s.retryAfterMs ? { retryAfterMs: s.retryAfterMs } : {}) };
  }
  if (code in TRANSIENT) return { ok: false, kind: 'transient', code: String(code), message, retryAfterMs: TRANSIENT[code] };
  if (ACCOUNT.has(code) || (code >= 200 && code <= 299) || (code >= 133000 && code <= 133015)) {
    return { ok: false, kind: 'transient', code: String(code), message, retryAfterMs: ACCOUNT_WAIT };
  }
  if (PERMANENT.has(code) || (code >= 132000 && code <= 132999)) return { ok: false, kind: 'permanent', code: String(code), message };
  // An unknown code: no blind retry (fact sheet §5.3).
  return { ok: false, kind: 'permanent', code: String(code), message };
}

/** A synchronous HTTP answer that is not a 200 with a wamid. */
export function classifyHttpError(status: number, error: { code?: unknown; message?: unknown } | undefined, retryAfterHeader?: string | null): SendFailure {
  const hinted = retryAfterMs(retryAfterHeader);
  if (error && typeof error.code === 'number') {
    const message = typeof error.message === 'string' ? error.message : `Cloud API error ${error.code}`;
    const r = classifyErrorCode(error.code, message);
    // 5xx with an unrecognised code: the server failed, so try again later.
    if (r.kind === 'permanent' && status >= 500 && !PERMANENT.has(error.code) && !(error.code >= 132000 && error.code <= 132999)) {
      return { ok: false, kind: 'transient', code: String(error.code), message, retryAfterMs: hinted ?? 30_000 };
    }
    if (r.kind === 'transient' && hinted !== undefined) r.retryAfterMs = Math.max(hinted, r.retryAfterMs ?? 0);
    return r;
  }
  if (status >= 500 || status === 429 || status === 408) {
    return { ok: false, kind: 'transient', code: `http_${status}`, message: `HTTP ${status} without a Graph error`, retryAfterMs: hinted ?? 30_000 };
  }
  return { ok: false, kind: 'permanent', code: `http_${status}`, message: `HTTP ${status} without a Graph error` };
}

/** `Retry-After` in seconds (or an HTTP date), capped at 1 h; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, HOUR) : undefined;
}
