import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, RateLimiter } from './rate-limit.js';

describe('MemoryRateLimitStore', () => {
  it('spaces reservations evenly so no 1 s window holds more than 7', async () => {
    const store = new MemoryRateLimitStore();
    const interval = Math.ceil(1000 / 7);
    const slots: number[] = [];
    for (let i = 0; i < 50; i++) slots.push(await store.reserve('acc', interval, 1_000));
    expect(slots[0]).toBe(1_000);
    expect(slots[1]).toBe(1_000 + Math.ceil(interval * 1.1)); // 10 % safety margin by default
    for (let i = 0; i < slots.length; i++) {
      const inWindow = slots.filter((s) => s >= slots[i]! && s < slots[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(7);
    }
  });

  it('does not bank idle time (slot = max(next, now))', async () => {
    const store = new MemoryRateLimitStore({ safetyMargin: 0 });
    expect(await store.reserve('k', 100, 0)).toBe(0);
    expect(await store.reserve('k', 100, 10_000)).toBe(10_000);
    expect(await store.reserve('k', 100, 10_000)).toBe(10_100);
  });

  it('keeps keys independent', async () => {
    const store = new MemoryRateLimitStore();
    expect(await store.reserve('a', 100, 0)).toBe(0);
    expect(await store.reserve('b', 100, 0)).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('sleeps until the reserved slot with the injected sleep', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const limiter = new RateLimiter({
      key: 'x',
      perSecond: 5,
      store: new MemoryRateLimitStore({ safetyMargin: 0 }),
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(await limiter.acquire()).toBe(0);
    expect(await limiter.acquire()).toBe(200);
    now = 100;
    expect(await limiter.acquire()).toBe(300);
    expect(sleeps).toEqual([200, 300]);
  });
});
