// Client-side throttle in front of every request (fact sheet §4: ≤ 7 requests/s per integration and account).
// Slots are spaced evenly (GCRA / scheduled slot), so no 1-second window ever holds more than `perSecond` sends.
// The store is pluggable so several processes share one budget (the app backs it with one PostgreSQL row per key).

export interface RateLimitStore {
  /** Atomically reserve the next send slot for `key`; returns epoch ms at which the caller may send. */
  reserve(key: string, intervalMs: number, nowMs: number): Promise<number>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly next = new Map<string, number>();

  async reserve(key: string, intervalMs: number, nowMs: number): Promise<number> {
    const slot = Math.max(this.next.get(key) ?? 0, nowMs);
    this.next.set(key, slot + intervalMs);
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
    const slot = await this.store.reserve(this.key, this.intervalMs, now);
    const wait = slot - now;
    if (wait > 0) await this.sleep(wait, signal);
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
