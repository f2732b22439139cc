// PgRateLimitStore: one atomic reservation per call, slots spaced by the interval (+ margin) across callers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { RateLimiter } from '../amocrm/index.js';
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
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0, pace: false });
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
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0.1, pace: false });
    const now = 1_800_000_000_000;
    const a = await store.reserve('amocrm:m', 100, now);
    const b = await store.reserve('amocrm:m', 100, now);
    expect(b - a).toBe(110);
  });

  it('paces in real time: the caller does not sleep again, and the fourth of four callers leaves 3 intervals later', async () => {
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0 });
    const started = Date.now();
    const returned = await Promise.all(Array.from({ length: 4 }, () => store.reserve('amocrm:paced', 50, started)));
    expect(returned).toEqual([started, started, started, started]);
    // A lower bound only: the last slot is 150 ms after the first, and nobody may leave before their slot.
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('is what a RateLimiter waits on (shared by two limiters = two processes)', async () => {
    const store = new PgRateLimitStore(tdb.db, { safetyMargin: 0, pace: false });
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
    expect(await l2.acquire()).toBe(0);
  });
});
