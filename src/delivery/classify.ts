// The ONE place that decides what a delivery error means (issue #3): transient (back off and retry), permanent
// (fail the lead now, no retry storm) or hold (a human or time must fix the account: keep attempts, resume later).
// `unknownOutcome` says whether amoCRM may have applied the request anyway, so the next attempt looks it up first.
import {
  AmoAbortedError,
  AmoApiError,
  AmoAuthError,
  AmoCircuitOpenError,
  AmoConnectionError,
  AmoForbiddenError,
  AmoPaymentRequiredError,
  AmoRateLimitError,
  AmoReconnectRequiredError,
  AmoServerError,
  AmoTimeoutError,
  AmoValidationError,
} from '../amocrm/index.js';

export type ErrorKind = 'transient' | 'permanent' | 'hold';

export interface Classified {
  kind: ErrorKind;
  /** Short machine reason for events, metrics and last_error (`timeout`, `rate_limited`, `validation`, …). */
  reason: string;
  /** The request may have been applied by amoCRM (look the lead up before creating it again). */
  unknownOutcome: boolean;
  /** HTTP status when amoCRM answered. */
  status?: number;
  /** Earliest sensible retry (ms from now), e.g. Retry-After or the circuit's pause. */
  retryAfterMs?: number;
  message: string;
}

const HOLD_RECONNECT_MS = 60_000;
const HOLD_PAYMENT_MS = 5 * 60_000;
const HOLD_FORBIDDEN_MS = 5 * 60_000;

export function classifyError(e: unknown, nowMs: number = Date.now()): Classified {
  const message = e instanceof Error ? e.message : String(e);
  const base = { message };
  if (e instanceof AmoReconnectRequiredError) {
    return { ...base, kind: 'hold', reason: 'reconnect_required', unknownOutcome: false, retryAfterMs: HOLD_RECONNECT_MS };
  }
  if (e instanceof AmoCircuitOpenError) {
    return { ...base, kind: 'hold', reason: 'circuit_open', unknownOutcome: false, retryAfterMs: Math.max(1000, e.openUntil - nowMs) };
  }
  if (e instanceof AmoPaymentRequiredError) {
    return { ...base, kind: 'hold', reason: 'payment_required', unknownOutcome: false, status: 402, retryAfterMs: HOLD_PAYMENT_MS };
  }
  if (e instanceof AmoAuthError) {
    // The client already refreshed once and retried once: the authorization is gone until someone reconnects.
    return { ...base, kind: 'hold', reason: 'unauthorized', unknownOutcome: false, status: 401, retryAfterMs: HOLD_RECONNECT_MS };
  }
  if (e instanceof AmoForbiddenError) {
    // An account/IP block (often after 429s) or missing rights: retrying would not help and could prolong a block.
    return { ...base, kind: 'hold', reason: 'forbidden', unknownOutcome: false, status: 403, retryAfterMs: HOLD_FORBIDDEN_MS };
  }
  if (e instanceof AmoValidationError) {
    return { ...base, kind: 'permanent', reason: 'validation', unknownOutcome: false, status: e.status };
  }
  if (e instanceof AmoRateLimitError) {
    return {
      ...base,
      kind: 'transient',
      reason: 'rate_limited',
      unknownOutcome: false,
      status: 429,
      ...(e.retryAfterMs !== null ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  if (e instanceof AmoServerError) {
    // 503 is refused before processing; any other 5xx may have been applied (a 504 often is).
    return { ...base, kind: 'transient', reason: `server_${e.status}`, unknownOutcome: e.status !== 503, status: e.status };
  }
  if (e instanceof AmoApiError) {
    // 404 (route/entity), 422 (too many items) and other 4xx: our request is wrong; retrying cannot fix it.
    return { ...base, kind: 'permanent', reason: `http_${e.status}`, unknownOutcome: false, status: e.status };
  }
  if (e instanceof AmoTimeoutError) return { ...base, kind: 'transient', reason: 'timeout', unknownOutcome: true };
  if (e instanceof AmoConnectionError) {
    return { ...base, kind: 'transient', reason: e.neverSent ? 'connection_refused' : 'connection', unknownOutcome: !e.neverSent };
  }
  if (e instanceof AmoAbortedError) return { ...base, kind: 'transient', reason: 'aborted', unknownOutcome: true };
  // Anything else (a bug, the database): retry later, and be safe about what may have happened.
  return { ...base, kind: 'transient', reason: 'internal', unknownOutcome: true };
}

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** 0..1: the delay is spread over ±jitter of its value. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, capMs: 10 * 60_000, jitter: 0.2 };

/** Delay before the next attempt after `failures` failed attempts (1 → ~base, doubling, capped, jittered). */
export function backoffMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random, minMs = 0): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
  const spread = exp * policy.jitter;
  const delay = exp - spread + random() * 2 * spread;
  return Math.round(Math.min(policy.capMs, Math.max(minMs, delay)));
}
