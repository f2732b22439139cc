// Two writers (one with artificially slow transactions) and two consumers: every event is seen once by each,
// in (tx, id) order, even when a writer that took a smaller id commits after one that took a larger id.
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { mulberry32 } from '../../test/rng.js';
import { createConsumer, emit, type DomainEvent } from './index.js';

let t: TestDb;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(async () => {
  await t.cleanup();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const captured = (form: string) => ({ type: 'lead.captured' as const, payload: { form } });

describe('events', () => {
  it('each consumer sees every event exactly once with a slow concurrent writer', async () => {
    const random = mulberry32(20261201);
    const seen: Record<string, number[]> = { a: [], b: [], shared: [] };
    const consumer = (name: string, bucket: string) =>
      createConsumer({
        db: t.db,
        name,
        types: ['lead.captured'],
        batchSize: 7,
        handle: async (_tx, events: DomainEvent<'lead.captured'>[]) => {
          seen[bucket]!.push(...events.map((e) => e.id));
        },
      });
    // Two independent consumers, and one consumer name run by two "processes" (they must share the work).
    const consumers = [consumer('a', 'a'), consumer('b', 'b'), consumer('shared', 'shared'), consumer('shared', 'shared')];

    const slowWriter = async () => {
      for (let i = 0; i < 10; i++) {
        await t.db.transaction(async (tx) => {
          await emit(tx, [captured(`slow-${i}`)]);
          await pause(5 + Math.floor(random() * 40)); // holds its id while others commit after it
        });
      }
    };
    const fastWriter = async () => {
      for (let i = 0; i < 25; i++) {
        await emit(t.db, [captured(`fast-${i}`), captured(`fast-${i}-2`)]);
        await pause(Math.floor(random() * 6));
      }
    };
    let writing = true;
    // Until writing is over and the bucket holds as many events as were written (a poll can come back empty for a
    // moment while a transaction elsewhere on a shared PostgreSQL holds the visibility bound back).
    const written = 10 + 50;
    const poller = async (c: (typeof consumers)[number], bucket: string) => {
      for (;;) {
        const done = !writing;
        const n = await c.pollOnce();
        if (done && n === 0 && seen[bucket]!.length >= written) return;
        if (n === 0) await pause(10);
      }
    };
    const buckets = ['a', 'b', 'shared', 'shared'];
    const polling = consumers.map((c, i) => poller(c, buckets[i]!));
    await Promise.all([slowWriter(), fastWriter()]);
    writing = false;
    await Promise.all(polling);

    const all = (await t.db.execute(sql`select id from domain_events order by id`)) as unknown as { rows: { id: number | string }[] };
    const ids = all.rows.map((r) => Number(r.id));
    expect(ids).toHaveLength(written);
    for (const bucket of ['a', 'b', 'shared']) {
      expect([...seen[bucket]!].sort((x, y) => x - y), bucket).toEqual(ids);
    }
  });

  it('does not read past a running transaction that took a smaller id, then delivers both in order', async () => {
    const c = createConsumer({ db: t.db, name: 'ordered', types: ['lead.captured'], handle: async () => undefined });
    const got: string[] = [];
    const reader = createConsumer({
      db: t.db,
      name: 'ordered-reader',
      types: ['lead.captured'],
      handle: async (_tx, events: DomainEvent<'lead.captured'>[]) => {
        got.push(...events.map((e) => e.payload.form));
      },
    });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let slowStarted!: () => void;
    const started = new Promise<void>((r) => (slowStarted = r));
    const slow = t.db.transaction(async (tx) => {
      await emit(tx, [captured('first-id')]);
      slowStarted();
      await held;
    });
    await started;
    if (t.kind === 'postgres') {
      // Another writer commits a larger id while the first is still open: it must not be read yet.
      await emit(t.db, [captured('second-id')]);
      expect(await reader.pollOnce()).toBe(0);
      release();
      await slow;
    } else {
      // PGlite is one session: the second writer queues behind the open transaction by construction.
      release();
      await slow;
      await emit(t.db, [captured('second-id')]);
    }
    // Both at once (never one alone); polled, since a transaction elsewhere on a shared server can hold them back.
    await expect.poll(() => reader.pollOnce(), { timeout: 20_000 }).toBe(2);
    expect(got).toEqual(['first-id', 'second-id']);
    await expect.poll(() => c.pollOnce(), { timeout: 20_000 }).toBe(2);
    expect(await reader.pollOnce()).toBe(0);
  });

  it('a failing handler leaves the cursor where it was; the batch is applied on the next poll', async () => {
    await emit(t.db, [captured('x'), captured('y')]);
    let fail = true;
    const got: string[] = [];
    const c = createConsumer({
      db: t.db,
      name: 'flaky',
      types: ['lead.captured'],
      handle: async (tx, events: DomainEvent<'lead.captured'>[]) => {
        await emit(tx, [{ type: 'lead.dead', payload: { reason: 'side effect in the same transaction' } }]);
        if (fail) throw new Error('boom');
        got.push(...events.map((e) => e.payload.form));
      },
    });
    // The handler runs (and throws) once the events are visible; a poll before that applies nothing.
    await expect.poll(() => c.pollOnce().then((n) => `applied ${n}`, (e: Error) => e.message), { timeout: 20_000 }).toBe('boom');
    const dead = (await t.db.execute(sql`select count(*)::int as n from domain_events where type = 'lead.dead'`)) as unknown as { rows: { n: number }[] };
    expect(dead.rows[0]!.n).toBe(0);
    fail = false;
    await expect.poll(() => c.pollOnce(), { timeout: 20_000 }).toBe(2);
    expect(got).toEqual(['x', 'y']);
  });

  it('start() applies events as they come and stop() ends the loop', async () => {
    const got: string[] = [];
    const c = createConsumer({
      db: t.db,
      name: 'looping',
      types: ['lead.captured'],
      pollMs: 20,
      handle: async (_tx, events: DomainEvent<'lead.captured'>[]) => {
        got.push(...events.map((e) => e.payload.form));
      },
    });
    c.start();
    await emit(t.db, [captured('one')]);
    c.wake();
    await expect.poll(() => got, { timeout: 20_000 }).toEqual(['one']);
    await c.stop();
    await emit(t.db, [captured('two')]);
    await pause(100);
    expect(got).toEqual(['one']);
  });
});
