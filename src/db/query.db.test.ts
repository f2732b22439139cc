// The db module's query helpers on both drivers: a prepared statement answers like the same SQL run through
// drizzle (inside and outside a transaction), and the advisory lock makes two holders take turns on PostgreSQL.
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { queryPrepared, queryRows, withAdvisoryLock } from './index.js';

let t: TestDb;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(async () => {
  await t.cleanup();
});

const STATEMENT = {
  name: 'leadbridge_test_echo',
  text: "select x.n::int as n, $2::text as label from jsonb_to_recordset($1::jsonb) as x(n int) where x.n > 1 order by x.n",
};

describe('db query helpers', () => {
  it('queryPrepared answers with the same rows on the pool, in a transaction and on repeat calls', async () => {
    const values = [JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }]), "it's $1 here"];
    const expected = [
      { n: 2, label: "it's $1 here" },
      { n: 3, label: "it's $1 here" },
    ];
    expect(await queryPrepared(t.db, STATEMENT, values)).toEqual(expected);
    expect(await queryPrepared(t.db, STATEMENT, values)).toEqual(expected);
    expect(await t.db.transaction((tx) => queryPrepared(tx, STATEMENT, values))).toEqual(expected);
  });

  it('queryRows types the rows of raw SQL', async () => {
    const rows = await queryRows<{ a: number; b: string }>(t.db, sql`select 1::int as a, 'x'::text as b`);
    expect(rows).toEqual([{ a: 1, b: 'x' }]);
  });

  it('withAdvisoryLock: two holders of one key never overlap; another key does not wait', async () => {
    const trace: string[] = [];
    const hold = (key: string, tag: string, ms: number) =>
      withAdvisoryLock(t, key, async () => {
        trace.push(`${tag}+`);
        await new Promise((r) => setTimeout(r, ms));
        trace.push(`${tag}-`);
      });
    if (t.kind === 'postgres') {
      await Promise.all([hold('test/a', 'a1', 150), hold('test/a', 'a2', 10)]);
      // Whichever got the lock first ends before the other begins.
      const [first, second] = [trace[0]!.slice(0, 2), trace[2]!.slice(0, 2)];
      expect(trace).toEqual([`${first}+`, `${first}-`, `${second}+`, `${second}-`]);
      expect([first, second].sort()).toEqual(['a1', 'a2']);
      trace.length = 0;
      // While b holds its key, c takes another key and finishes (it would wait the 5 s out if keys were shared).
      let cDone!: () => void;
      const cFinished = new Promise<void>((r) => (cDone = r));
      let bIn!: () => void;
      const bHolding = new Promise<void>((r) => (bIn = r));
      await Promise.all([
        withAdvisoryLock(t, 'test/b', async () => {
          trace.push('b+');
          bIn();
          await Promise.race([cFinished, new Promise((r) => setTimeout(r, 5_000))]);
          trace.push('b-');
        }),
        (async () => {
          await bHolding;
          await hold('test/c', 'c', 10);
          cDone();
        })(),
      ]);
      expect(trace).toEqual(['b+', 'c+', 'c-', 'b-']);
    } else {
      // PGlite: one process by the data-directory lock; the function simply runs.
      await hold('test/a', 'a', 1);
      expect(trace).toEqual(['a+', 'a-']);
    }
  });
});
