// The deal rollup keys facts by (account, amo_lead_id) like amo_deals: recomputing one account's deal 42 leaves
// another account's deal 42 (and its pipeline count) alone.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDealObservation } from '../webhooks/index.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { dealKeysOf } from './deal-keys.js';
import { recomputeDeals } from './rollup.js';

const T0 = 1_700_000_000;
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.cleanup();
});

const rows = async (q: ReturnType<typeof sql>) => ((await t.db.execute(q)) as unknown as { rows: Record<string, unknown>[] }).rows;

describe('deal rollup by account', () => {
  it('recomputes a deal in its own account only', async () => {
    const base = { amoLeadId: 42, kind: 'add' as const, at: T0, stamped: true, source: 'webhook' as const, createdAt: T0, pipelineId: 100 };
    await t.db.transaction(async (tx) => {
      await applyDealObservation(tx, { ...base, statusId: 10 }, { account: 'a', fieldMap: { byKey: {} } });
      await applyDealObservation(tx, { ...base, statusId: 20 }, { account: 'b', fieldMap: { byKey: {} } });
    });
    const keys = dealKeysOf([
      { account: 'a', amoLeadId: 42 },
      { account: 'b', amoLeadId: 42 },
      { account: 'a', amoLeadId: 42 },
      { account: 'a', amoLeadId: null },
    ]);
    expect(keys).toEqual([
      { account: 'a', amoLeadId: 42 },
      { account: 'b', amoLeadId: 42 },
    ]);
    await t.db.transaction((tx) => recomputeDeals(tx, keys));
    const facts = () => rows(sql`select account, status_id::int as status from analytics_deals order by account`);
    const pipelines = () => rows(sql`select account, pipeline_id::int as pipeline, deals from analytics_pipelines order by account`);
    const stages = () => rows(sql`select account, status_id::int as status from analytics_deal_stages order by account`);
    expect(await facts()).toEqual([{ account: 'a', status: 10 }, { account: 'b', status: 20 }]);
    expect(await pipelines()).toEqual([{ account: 'a', pipeline: 100, deals: 1 }, { account: 'b', pipeline: 100, deals: 1 }]);
    expect(await stages()).toEqual([{ account: 'a', status: 10 }, { account: 'b', status: 20 }]);

    await t.db.transaction(async (tx) => {
      await applyDealObservation(tx, { ...base, kind: 'delete', at: T0 + 60 }, { account: 'a', fieldMap: { byKey: {} } });
      await recomputeDeals(tx, [{ account: 'a', amoLeadId: 42 }]);
    });
    expect(await facts()).toEqual([{ account: 'b', status: 20 }]);
    expect(await pipelines()).toEqual([{ account: 'b', pipeline: 100, deals: 1 }]);
    expect(await stages()).toEqual([{ account: 'b', status: 20 }]);
  });
});
