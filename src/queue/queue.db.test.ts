import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { createQueue, type Queue } from './index.js';

let tdb: TestDb;
let queue: Queue;

beforeAll(async () => {
  tdb = await createTestDb();
  queue = createQueue({ db: tdb, pollingIntervalSeconds: 0.5 });
  await queue.start();
});
afterAll(async () => {
  await queue?.stop();
  await tdb?.cleanup();
});

describe('createQueue', () => {
  it('runs a sent job with its typed payload', async () => {
    const received = new Promise<unknown>((resolve) => {
      void queue.work('reconcile_amo', async (jobs) => {
        for (const job of jobs) resolve(job.data);
      });
    });
    const id = await queue.send('reconcile_amo', { sinceUnix: 1700000000 });
    expect(id).toBeTypeOf('string');
    expect(await received).toEqual({ sinceUnix: 1700000000 });
  });

  it('reports the depth of a queue with waiting jobs', async () => {
    await queue.send('amo_keep_alive', {}, { startAfter: 3600 });
    expect(await queue.depth('amo_keep_alive')).toBe(1);
  });

  it('stores cron schedules', async () => {
    await queue.schedule('amo_keep_alive', '0 3 * * *', {}, { tz: 'Europe/Moscow' });
    const rows = await tdb.executeSql("select name, cron from pgboss.schedule where name = 'amo_keep_alive'");
    expect(rows.rows).toEqual([{ name: 'amo_keep_alive', cron: '0 3 * * *' }]);
  });
});

describe('first boot on an empty database', () => {
  // A readiness probe polls /health (queue depths of every task) while start-up creates the same queues.
  it.each([1, 2, 3, 4, 5, 6])('creates queues under concurrent depth reads without a deadlock (try %i)', async () => {
    const fresh = await createTestDb();
    const a = createQueue({ db: fresh, tasks: ['amo_keep_alive', 'reconcile_amo'] });
    const b = createQueue({ db: fresh });
    try {
      await Promise.all([a.start(), b.start()]);
      const probes = Array.from({ length: 4 }, () => Promise.all([b.depth('amo_keep_alive'), b.depth('reconcile_amo'), a.depth('reconcile_amo')]));
      const results = await Promise.all([...probes, a.schedule('amo_keep_alive', '0 3 * * *', {}), b.send('reconcile_amo', {})]);
      expect(results.slice(0, 4)).toEqual(Array.from({ length: 4 }, () => expect.any(Array)));
      expect(await b.depth('reconcile_amo')).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
      await fresh.cleanup();
    }
  });
});
