import { describe, expect, it } from 'vitest';
import { DEFAULT_SAFETY_MARGIN, MemoryRateLimitStore, RateLimiter, defaultSleep } from './rate-limit.js';

/** Most sends of `times` inside any one window of `windowMs` (a window starting at each send). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[j]! <= t[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('MemoryRateLimitStore', () => {
  it('spaces reservations evenly so no 1 s window holds more than 7', async () => {
    const store = new MemoryRateLimitStore();
    const interval = Math.ceil(1000 / 7);
    const slots: number[] = [];
    for (let i = 0; i < 50; i++) slots.push(await store.reserve('acc', interval, 1_000));
    expect(slots[0]).toBe(1_000);
    expect(slots[1]).toBe(1_000 + Math.ceil(interval * (1 + DEFAULT_SAFETY_MARGIN))); // 20 % by default
    expect(DEFAULT_SAFETY_MARGIN).toBe(0.2);
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

describe('RateLimiter: a hard ceiling', () => {
  it('never lets late wake-ups (released together) put more than perSecond sends in one second', async () => {
    // A fake clock whose timers fire late and in clumps, as a blocked event loop releases them.
    let now = 0;
    const timers: { at: number; resolve: () => void }[] = [];
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => timers.push({ at: now + ms, resolve }));
    const store = new MemoryRateLimitStore();
    const limiter = new RateLimiter({ key: 'acc', perSecond: 7, store, now: () => now, sleep });
    const sends: number[] = [];
    let live = 0;
    const caller = async (n: number): Promise<void> => {
      live++;
      for (let i = 0; i < n; i++) {
        await limiter.acquire();
        sends.push(now);
      }
      live--;
    };
    const done = Promise.all(Array.from({ length: 12 }, () => caller(10)));
    for (let guard = 0; guard < 100_000 && (live > 0 || timers.length > 0); guard++) {
      await new Promise((r) => setImmediate(r));
      if (timers.length === 0) continue;
      timers.sort((a, b) => a.at - b.at);
      // The loop was blocked: time jumps past the next timer by 0–400 ms; every timer due by then fires at once.
      now = Math.max(now, timers[0]!.at) + Math.floor(rand() * 400);
      const due = timers.filter((t) => t.at <= now);
      timers.splice(0, due.length);
      for (const t of due) t.resolve();
    }
    await done;
    expect(sends).toHaveLength(120);
    expect(maxInWindow(sends, 1000)).toBeLessThanOrEqual(7);
    expect(limiter.lateRetakes).toBeGreaterThan(0); // the clumps happened and were refused
  });

  it('holds on the real clock with 20 concurrent callers and a blocked event loop', async () => {
    const limiter = new RateLimiter({ key: 'real', perSecond: 7, store: new MemoryRateLimitStore(), now: Date.now, sleep: defaultSleep });
    const sends: number[] = [];
    let blocking = true;
    const blocker = (async () => {
      while (blocking) {
        const until = Date.now() + 250;
        while (Date.now() < until) {
          /* a synchronous stretch, like an embedded database busy on the main thread */
        }
        await new Promise((r) => setTimeout(r, 80));
      }
    })();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await limiter.acquire();
        sends.push(Date.now());
      }),
    );
    blocking = false;
    await blocker;
    expect(sends).toHaveLength(20);
    expect(maxInWindow(sends, 1000)).toBeLessThanOrEqual(7);
  }, 20_000);
});
