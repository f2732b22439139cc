// Per integration (7/s) and per account (50/s): a sliding 1-second window (or a token bucket) → 429 with Retry-After;
// 20 429s in a minute → a 403 block with Retry-After (fact sheet §4: abuse turns into a block; on by default).
import type { RateLimitOptions } from './options.js';

interface Bucket {
  tokens: number;
  at: number;
}

export type RateDecision = { ok: true } | { ok: false; kind: '429' | 'blocked'; retryAfterSec: number };

export const DEFAULT_BLOCK_AFTER_429S = 20;
const WINDOW_MS = 1000;

export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  private sent = new Map<string, number[]>();
  private rejects: number[] = [];
  private blockedUntil = 0;
  readonly perIntegration: number;
  readonly perAccount: number;
  readonly body: 'json' | 'html';

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.perIntegration = opts.perIntegration ?? 7;
    this.perAccount = opts.perAccount ?? 50;
    this.body = opts.body ?? 'json';
  }

  reset(): void {
    this.buckets.clear();
    this.sent.clear();
    this.rejects = [];
    this.blockedUntil = 0;
  }

  isBlocked(): boolean {
    return this.clock() < this.blockedUntil;
  }

  /** Seconds until the block is lifted (0 when not blocked). */
  blockedForSec(): number {
    return Math.max(0, Math.ceil((this.blockedUntil - this.clock()) / 1000));
  }

  private take(key: string, rate: number, now: number): boolean {
    if ((this.opts.mode ?? 'window') === 'window') {
      const log = (this.sent.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
      this.sent.set(key, log);
      if (log.length >= rate) return false;
      log.push(now);
      return true;
    }
    const b = this.buckets.get(key) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(key, b);
    // A little leeway (5 % of a token) so a client pacing itself at exactly the limit is not rejected by network jitter.
    if (b.tokens < 0.95) return false;
    b.tokens -= 1;
    return true;
  }

  /** Counts one request of `integration`; both buckets must have a token. */
  check(integration: string): RateDecision {
    const now = this.clock();
    if (now < this.blockedUntil) return { ok: false, kind: 'blocked', retryAfterSec: this.blockedForSec() };
    const okAccount = this.take('account', this.perAccount, now);
    const okIntegration = okAccount && this.take(`int:${integration}`, this.perIntegration, now);
    if (okAccount && okIntegration) return { ok: true };
    const limit = this.opts.blockAfter429s ?? DEFAULT_BLOCK_AFTER_429S;
    if (limit > 0) {
      const window = this.opts.blockWindowMs ?? 60_000;
      this.rejects = this.rejects.filter((t) => t > now - window);
      this.rejects.push(now);
      if (this.rejects.length >= limit) {
        this.blockedUntil = now + (this.opts.blockMs ?? 60_000);
        this.rejects = [];
        return { ok: false, kind: 'blocked', retryAfterSec: this.blockedForSec() };
      }
    }
    return { ok: false, kind: '429', retryAfterSec: 1 };
  }
}
