// PgRateLimitStore: one atomic reservation per call, slots spaced by the interval (+ margin) across callers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { RateLimiter, defaultSleep } from '../amocrm/index.js';
import { PgRateLimitStore } from './rate-limit-store.js';

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb?.cleanup();
});

describe('PgRateLimitStore', () => {
  it('hands out evenly spaced slots, never the same one twice, even to concurrent callers', async () => {
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0 });
    const now = 1_700_000_000_000;
    const slots = await Promise.all(Array.from({ length: 20 }, () => store.reserve('amocrm:a', 143, now)));
    const sorted = [...slots].sort((a, b) => a - b);
    expect(sorted[0]).toBe(now);
    expect(new Set(slots).size).toBe(20);
    sorted.forEach((s, i) => expect(s).toBe(now + i * 143));
    // Keys are independent; a later "now" than the next slot starts from now.
    expect(await store.reserve('amocrm:b', 143, now)).toBe(now);
    expect(await store.reserve('amocrm:a', 143, now + 60_000)).toBe(now + 60_000);
  });

  it('widens the interval by the safety margin', async () => {
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0.1 });
    const now = 1_800_000_000_000;
    const a = await store.reserve('amocrm:m', 100, now);
    const b = await store.reserve('amocrm:m', 100, now);
    expect(b - a).toBe(110);
  });

  it('is a hard ceiling for two limiters (two processes) on the real clock, with a blocked event loop', async () => {
    const budget = 7;
    const sends: number[] = [];
    const mk = () => new RateLimiter({ store: new PgRateLimitStore(tdb.db), key: 'amocrm:real', perSecond: budget, now: Date.now, sleep: defaultSleep });
    const limiters = [mk(), mk()];
    let blocking = true;
    const blocker = (async () => {
      while (blocking) {
        const until = Date.now() + 200;
        while (Date.now() < until) {
          /* the main thread busy */
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await limiters[i % 2]!.acquire();
        sends.push(Date.now());
      }),
    );
    blocking = false;
    await blocker;
    sends.sort((a, b) => a - b);
    for (let i = 0; i + budget < sends.length; i++) expect(sends[i + budget]! - sends[i]!).toBeGreaterThanOrEqual(1000);
  }, 30_000);

  it('is what a RateLimiter waits on (shared by two limiters = two processes)', async () => {
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0 });
    let clock = 2_000_000_000_000;
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    const l1 = new RateLimiter({ store, key: 'shared', perSecond: 10, now: () => clock, sleep });
    const l2 = new RateLimiter({ store, key: 'shared', perSecond: 10, now: () => clock, sleep });
    await l1.acquire();
    await l2.acquire();
    await l1.acquire();
    expect(slept).toEqual([100, 200]);
    clock += 1000;
    // Idle time is not banked: the next slot is now (plus the statement's expected latency, ms of the real clock,
    // as acquire() reads it before reserving; the estimate moves once the statement has run).
    const lead = store.leadMs();
    expect(await l2.acquire()).toBeLessThanOrEqual(lead);
  });
});
