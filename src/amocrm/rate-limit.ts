// Client-side throttle in front of every request (fact sheet §4: ≤ 7 requests/s per integration and account).
// Slots are spaced evenly (GCRA / scheduled slot), so no 1-second window ever holds more than `perSecond` sends.
// The store is pluggable so several processes share one budget (the app backs it with one PostgreSQL row per key).

export interface RateLimitStore {
  /**
   * Atomically reserve the next send slot for `key` no earlier than `nowMs`; returns its epoch ms. Slots of one key
   * are at least `intervalMs` (widened by the store's safety margin) apart, whoever asked, so any perSecond + 1
   * slots span more than a second.
   */
  reserve(key: string, intervalMs: number, nowMs: number, signal?: AbortSignal): Promise<number>;
  /** How late (ms) a caller may send after its slot before the slot is given up and a new one taken. */
  readonly maxLateMs?: number;
  /** Expected time (ms) for `reserve` to answer: a slot is asked for no earlier than it can be used. */
  leadMs?(): number;
}

/**
 * How much wider than 1000/perSecond send slots are spaced (config `delivery.rate_margin`). 20 %: with the default
 * lateness bound (60 ms) any 8 sends leave ≥ 1,144 ms apart (7 × 172 ms − 60), so up to ~140 ms of differing transit
 * times and receiver delays still keep every second at amoCRM within 7. At 10 % (70 ms of room) a two-instance chaos
 * run on two loaded cores (load 4) saw 8 requests in one second at the emulator. It costs throughput only where the
 * budget is the bottleneck: a backlog delivers ~270 instead of ~300 leads/s (docs/delivery.md).
 */
export const DEFAULT_SAFETY_MARGIN = 0.2;

/**
 * In-process slots. Like the PostgreSQL store, slots are spaced `safetyMargin` (DEFAULT_SAFETY_MARGIN) wider than
 * 1000/perSecond: a request reaches amoCRM a little after its slot, and jitter must not put the first and the eighth
 * request of a second into one window on amoCRM's side.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly next = new Map<string, number>();
  private readonly margin: number;
  readonly maxLateMs: number;

  constructor(opts: { safetyMargin?: number; maxLateMs?: number } = {}) {
    this.margin = Math.max(0, opts.safetyMargin ?? DEFAULT_SAFETY_MARGIN);
    this.maxLateMs = defaultMaxLateMs(this.margin, opts.maxLateMs);
  }

  async reserve(key: string, intervalMs: number, nowMs: number): Promise<number> {
    const interval = Math.ceil(intervalMs * (1 + this.margin) - 1e-9);
    const slot = Math.max(this.next.get(key) ?? 0, nowMs);
    this.next.set(key, slot + interval);
    return slot;
  }
}

/**
 * Default lateness bound: 30 % of the margin's share of a second (60 ms with the 20 % margin), at least 1 ms. With
 * slots `interval` = 1000 × (1 + margin) / perSecond apart and every send leaving within `maxLateMs` after its slot,
 * any perSecond + 1 sends span ≥ 1000 × (1 + margin) − maxLateMs (≥ 1,140 ms by default): a hard ceiling whatever the
 * rate, with 140 ms left for the requests' differing transit times and the receiver's own delays. A tighter bound
 * costs only under load: a wake-up later than it gives its slot up and takes the next one.
 */
export function defaultMaxLateMs(margin: number, explicit?: number): number {
  return Math.max(1, explicit ?? 300 * margin);
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

  /**
   * Wait for this caller's send slot; the caller sends right after it returns (synchronously). Never before the
   * reserved slot, and never more than the store's `maxLateMs` after it: a wake-up that came too late (a blocked
   * event loop releases several sleepers at once, a slow store answers late) gives its slot up — it stays unused — and
   * waits for a new one. So the budget is a hard ceiling across concurrent callers and processes sharing the store.
   * Returns how long it waited (ms).
   */
  async acquire(signal?: AbortSignal): Promise<number> {
    const start = this.now();
    const maxLate = this.store.maxLateMs ?? defaultMaxLateMs(DEFAULT_SAFETY_MARGIN);
    const reserve = (): Promise<number> => this.store.reserve(this.key, this.intervalMs, this.now() + (this.store.leadMs?.() ?? 0), signal);
    let slot = await reserve();
    let sleptAt: number | undefined;
    for (;;) {
      // An abort during the wait (or the reservation) must not become a send.
      if (signal?.aborted) throw signal.reason;
      const t = this.now();
      // Sleep until the slot; sleep again only if the clock moved and the timer still fired early (a clock that
      // does not move during a sleep is a test's fake one: its sleep counts as reaching the slot).
      if (slot > t && (sleptAt === undefined || t > sleptAt)) {
        sleptAt = t;
        await this.sleep(slot - t, signal);
        continue;
      }
      if (t - slot <= maxLate) return Math.max(0, Math.max(slot, t) - start);
      this.lateRetakes++;
      slot = await reserve();
      sleptAt = undefined;
    }
  }

  /** Slots given up because the wake-up came later than `maxLateMs` (tests, diagnostics). */
  lateRetakes = 0;
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
