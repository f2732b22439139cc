// Client-side throttle in front of every request (fact sheet §4: ≤ 7 requests/s per integration and account).
// Slots are spaced evenly (GCRA / scheduled slot), so no 1-second window ever holds more than `perSecond` sends.
// The store is pluggable so several processes share one budget (the app backs it with one PostgreSQL row per key).

export interface RateLimitStore {
  /** Atomically reserve the next send slot for `key`; returns epoch ms at which the caller may send. */
  reserve(key: string, intervalMs: number, nowMs: number, signal?: AbortSignal): Promise<number>;
}

/**
 * In-process slots. Like the PostgreSQL store, slots are spaced `safetyMargin` (default 10 %) wider than
 * 1000/perSecond: a request reaches amoCRM a little after its slot, and jitter must not put the first and the eighth
 * request of a second into one window on amoCRM's side.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly next = new Map<string, number>();
  private readonly margin: number;

  constructor(opts: { safetyMargin?: number } = {}) {
    this.margin = Math.max(0, opts.safetyMargin ?? 0.1);
  }

  async reserve(key: string, intervalMs: number, nowMs: number): Promise<number> {
    const interval = Math.ceil(intervalMs * (1 + this.margin) - 1e-9);
    const slot = Math.max(this.next.get(key) ?? 0, nowMs);
    this.next.set(key, slot + interval);
    return slot;
  }
}

export const DEFAULT_PER_SECOND = 7;

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RateLimiterOptions {
  store?: RateLimitStore;
  perSecond?: number;
  key: string;
  now: () => number;
  sleep: Sleep;
}

export class RateLimiter {
  readonly intervalMs: number;
  private readonly store: RateLimitStore;
  private readonly key: string;
  private readonly now: () => number;
  private readonly sleep: Sleep;

  constructor(opts: RateLimiterOptions) {
    const perSecond = opts.perSecond ?? DEFAULT_PER_SECOND;
    if (!(perSecond > 0)) throw new RangeError('rateLimit.perSecond must be > 0');
    // Round up so float drift can never squeeze an extra request into a window.
    this.intervalMs = Math.ceil(1000 / perSecond);
    this.store = opts.store ?? new MemoryRateLimitStore();
    this.key = opts.key;
    this.now = opts.now;
    this.sleep = opts.sleep;
  }

  /** Wait for this caller's send slot. Returns how long it waited (ms). */
  async acquire(signal?: AbortSignal): Promise<number> {
    const now = this.now();
    const slot = await this.store.reserve(this.key, this.intervalMs, now, signal);
    const wait = slot - now;
    if (wait > 0) await this.sleep(wait, signal);
    // An abort during the wait (a store that paces itself may not see the signal) must not become a send.
    if (signal?.aborted) throw signal.reason;
    return Math.max(0, wait);
  }
}

/** setTimeout-based sleep that rejects with the signal's reason when aborted. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
