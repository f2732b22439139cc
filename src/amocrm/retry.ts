// Retry policy: pure functions, unit-tested with a fixed `random` (as stripe's _shouldRetry specs).
// amoCRM v4 has no idempotency key (fact sheet §3), so a POST/PATCH is replayed only when the request
// provably never arrived or was refused before processing: connection refused / DNS failure, 429, 503.
import {
  AmoApiError,
  AmoConnectionError,
  AmoRateLimitError,
  AmoTimeoutError,
  MAX_RETRY_AFTER_MS,
} from './errors.js';

export const DEFAULT_MAX_RETRIES = 2;
const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Should the failed attempt be retried?
 * @param attempt retries already made for this request (0 after the first attempt failed)
 */
export function shouldRetry(err: unknown, attempt: number, maxRetries: number, method: string): boolean {
  if (attempt >= maxRetries) return false;
  const idempotent = IDEMPOTENT_METHODS.has(method.toUpperCase());

  if (err instanceof AmoRateLimitError) {
    // A Retry-After longer than we are willing to sleep is surfaced to the caller (the outbox reschedules).
    return err.retryAfterMs === null || err.retryAfterMs <= MAX_RETRY_AFTER_MS;
  }
  if (err instanceof AmoApiError) {
    if (err.status === 503) return true; // refused before processing: safe for any method
    if (err.status >= 500 || err.status === 408) return idempotent;
    return false;
  }
  if (err instanceof AmoTimeoutError) return idempotent; // may have arrived: never replay a POST
  if (err instanceof AmoConnectionError) return idempotent || err.neverSent;
  return false;
}

/**
 * Delay before retry number `attempt + 1`. Honours a sane Retry-After (0–60 s); otherwise exponential
 * backoff 0.5 s → 8 s with up to 25 % jitter subtracted.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, random: () => number = Math.random): number {
  if (retryAfterMs !== null && retryAfterMs >= 0 && retryAfterMs <= MAX_RETRY_AFTER_MS) return retryAfterMs;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** Math.max(0, attempt), MAX_DELAY_MS);
  const jitter = 1 - random() * 0.25;
  return Math.round(base * jitter);
}

/** The Retry-After hint carried by an error, if any. */
export function retryAfterOf(err: unknown): number | null {
  return err instanceof AmoRateLimitError ? err.retryAfterMs : null;
}
