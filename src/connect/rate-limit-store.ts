// PgRateLimitStore: the amoCRM request budget (7 req/s per account) shared by every process through one row per
// key. Reserving a slot is ONE atomic statement (upsert … greatest(next_slot, now) + interval … returning), so two
// processes can never take the same slot; it works the same on PGlite (single session) and PostgreSQL.
import { sql } from 'drizzle-orm';
import { DEFAULT_SAFETY_MARGIN, defaultMaxLateMs, type RateLimitStore } from '../amocrm/index.js';
import type { Database } from '../db/index.js';
import { rowsOf } from '../db/index.js';

export interface PgRateLimitStoreOptions {
  /**
   * Slots are spaced this much wider than 1000/perSecond (default DEFAULT_SAFETY_MARGIN, 20 %): a request leaves at its slot but
   * reaches amoCRM a little later (event-loop lag, connection setup), so a late first request and an on-time
   * eighth must still not land in the same second.
   */
  safetyMargin?: number;
  /**
   * How late (ms) a caller may send after its slot before the slot is given up and a new one taken (default 30 % of
   * the margin's share of a second: 60 ms with the 20 % margin). The RateLimiter enforces it (see `acquire`): slots
   * are `interval` = 1000 × (1 + margin) / perSecond apart and every send leaves within `maxLateMs` of its slot, so
   * any perSecond + 1 sends — of any process — span ≥ 1000 × (1 + margin) − maxLateMs (1,140 ms by default).
   */
  maxLateMs?: number;
}

/** A slot is asked for at most this far ahead of the statement's expected return. */
const MAX_LEAD_MS = 200;

export class PgRateLimitStore implements RateLimitStore {
  private readonly margin: number;
  readonly maxLateMs: number;
  /** Recent duration of the reservation statement (moving average). */
  private latencyMs = 0;

  constructor(
    private readonly db: Pick<Database, 'execute'>,
    opts: PgRateLimitStoreOptions = {},
  ) {
    this.margin = Math.max(0, opts.safetyMargin ?? DEFAULT_SAFETY_MARGIN);
    this.maxLateMs = defaultMaxLateMs(this.margin, opts.maxLateMs);
  }

  /**
   * Reserve the next slot ≥ nowMs (one atomic statement: two processes never get the same slot). The caller waits
   * for it (RateLimiter.acquire), on the wall clock every process shares.
   */
  async reserve(key: string, intervalMs: number, nowMs: number, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const interval = Math.max(0, Math.ceil(intervalMs * (1 + this.margin) - 1e-9));
    const t0 = Date.now();
    try {
      return await this.take(key, interval, nowMs);
    } finally {
      this.latencyMs = this.latencyMs * 0.7 + (Date.now() - t0) * 0.3;
    }
  }

  /** Ask for slots no earlier than the statement is expected to return, so a slow database (PGlite busy) does not
   * make every slot late on arrival. */
  leadMs(): number {
    return Math.min(MAX_LEAD_MS, Math.ceil(this.latencyMs));
  }

  private async take(key: string, interval: number, nowMs: number): Promise<number> {
    const now = Math.floor(nowMs);
    const res = await this.db.execute(sql`
      insert into rate_limit_slots (key, next_slot_ms) values (${key}, ${now + interval})
      on conflict (key) do update
        set next_slot_ms = greatest(rate_limit_slots.next_slot_ms, ${now}::bigint) + ${interval}::bigint
      returning next_slot_ms::text as next`);
    const rows = rowsOf<{ next: string }>(res);
    const next = Number(rows[0]?.next);
    if (!Number.isFinite(next)) throw new Error('rate limit reservation returned no row');
    return next - interval;
  }
}
