// PgRateLimitStore: the amoCRM request budget (7 req/s per account) shared by every process through one row per
// key. Reserving a slot is ONE atomic statement (upsert … greatest(next_slot, now) + interval … returning), so two
// processes can never take the same slot; it works the same on PGlite (single session) and PostgreSQL.
import { sql } from 'drizzle-orm';
import { defaultSleep, type RateLimitStore } from '../amocrm/index.js';
import type { Database } from '../db/index.js';

export interface PgRateLimitStoreOptions {
  /**
   * Slots are spaced this much wider than 1000/perSecond (default 0.1 = 10 %): a request leaves at its slot but
   * reaches amoCRM a little later (event-loop lag, connection setup), so a late first request and an on-time
   * eighth must still not land in the same second.
   */
  safetyMargin?: number;
  /**
   * Wait for the slot here (real clock) instead of in the caller, and take a new slot when the wake-up came too
   * late (a blocked event loop, e.g. embedded PGlite busy, would otherwise release several waiters at once).
   * Default true; pass false when the caller's clock and sleep are fake (tests).
   */
  pace?: boolean;
  /**
   * How late (ms) a wake-up may be before its slot is given up and a new one taken (default 60 % of the margin's
   * share of a second: 60 ms with the 10 % margin). There is no cap on retakes, so the budget is a hard ceiling:
   * slots are `interval` = 1000 × (1 + margin) / perSecond apart and every send leaves at most `maxLateMs` after its
   * slot, so any perSecond + 1 consecutive sends span ≥ 1000 × (1 + margin) − maxLateMs (1,040 ms by default) —
   * whatever the rate, and 40 ms are left for the requests' differing transit times.
   */
  maxLateMs?: number;
}

/** A slot is asked for at most this far ahead of the statement's expected return. */
const MAX_LEAD_MS = 200;

export class PgRateLimitStore implements RateLimitStore {
  private readonly margin: number;
  private readonly pace: boolean;
  private readonly maxLateMs: number;
  /** Recent duration of the reservation statement (moving average). */
  private latencyMs = 0;

  constructor(
    private readonly db: Pick<Database, 'execute'>,
    opts: PgRateLimitStoreOptions = {},
  ) {
    this.margin = Math.max(0, opts.safetyMargin ?? 0.1);
    this.pace = opts.pace ?? true;
    this.maxLateMs = Math.max(1, opts.maxLateMs ?? 600 * this.margin);
  }

  /**
   * Returns the epoch ms at which the caller may send. Without pacing: the reserved slot (≥ nowMs). With pacing:
   * the wait already happened here, so it returns `nowMs` (the caller sends at once).
   */
  async reserve(key: string, intervalMs: number, nowMs: number, signal?: AbortSignal): Promise<number> {
    const interval = Math.max(0, Math.ceil(intervalMs * (1 + this.margin) - 1e-9));
    if (!this.pace) return this.take(key, interval, nowMs);
    for (;;) {
      signal?.throwIfAborted();
      // Ask for a slot no earlier than this statement is expected to return, so a slow database (PGlite busy) does
      // not make every slot late on arrival.
      const t0 = Date.now();
      const slot = await this.take(key, interval, t0 + Math.min(MAX_LEAD_MS, Math.ceil(this.latencyMs)));
      const took = Date.now() - t0;
      this.latencyMs = this.latencyMs * 0.7 + took * 0.3;
      const wait = slot - Date.now();
      if (wait > 0) await defaultSleep(wait, signal);
      const late = Date.now() - slot;
      if (late <= this.maxLateMs) return nowMs;
    }
  }

  private async take(key: string, interval: number, nowMs: number): Promise<number> {
    const now = Math.floor(nowMs);
    const res = await this.db.execute(sql`
      insert into rate_limit_slots (key, next_slot_ms) values (${key}, ${now + interval})
      on conflict (key) do update
        set next_slot_ms = greatest(rate_limit_slots.next_slot_ms, ${now}::bigint) + ${interval}::bigint
      returning next_slot_ms::text as next`);
    const rows = (res as unknown as { rows: { next: string }[] }).rows;
    const next = Number(rows[0]?.next);
    if (!Number.isFinite(next)) throw new Error('rate limit reservation returned no row');
    return next - interval;
  }
}
