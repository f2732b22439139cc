// The deal rollup (analytics_deals, analytics_deal_stages): kept by the `analytics` consumer of domain_events. Each
// batch recomputes the facts of every deal its events name, from the deal's current rows in amo_deals and
// amo_deal_stages, in the same transaction that advances the consumer's cursor. Because a fact row is a function
// of the raw rows (not a running total), a duplicate, a replay or a late out-of-order webhook cannot make the
// rollup drift from the raw query: whatever order events come in, the last recomputation sees the final rows.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Database } from '../db/index.js';
import { createConsumer, type Consumer } from '../events/index.js';
import { dealKeyIn, dealKeysOf, type DealKey } from './deal-keys.js';
import { DEAL_FACT_EVENTS } from './fact-events.js';
import { createLeadRollup } from './lead-rollup.js';

export { DEAL_FACT_EVENTS };
export type { DealKey };

export const ROLLUP_CONSUMER = 'analytics_deals';

type Exec = Pick<Database, 'execute'>;

/** Recomputes the facts of the given deals (all deals when `deals` is undefined). */
export async function recomputeDeals(tx: Exec, deals?: readonly DealKey[]): Promise<void> {
  if (deals && deals.length === 0) return;
  const only = (alias = ''): SQL => (deals ? dealKeyIn(deals, alias) : sql`true`);
  await tx.execute(sql`delete from analytics_deal_stages where ${only()}`);
  // Per-pipeline counts move by what leaves and what comes back (a full rebuild starts them from zero).
  if (!deals) await tx.execute(sql`delete from analytics_pipelines`);
  else {
    await tx.execute(sql`
      with gone as (delete from analytics_deals where ${only()} returning account, pipeline_id)
      update analytics_pipelines p set deals = p.deals - g.n
      from (select account, pipeline_id, count(*)::int as n from gone where pipeline_id is not null group by 1, 2) g
      where p.account = g.account and p.pipeline_id = g.pipeline_id`);
  }
  if (!deals) await tx.execute(sql`delete from analytics_deals`);
  await tx.execute(sql`
    insert into analytics_deals (account, amo_lead_id, pipeline_id, status_id, is_won, is_lost, cohort_at, responsible_user_id, price, visited, first_change_secs)
    select d.account, d.amo_lead_id, d.pipeline_id, d.status_id, d.is_won, d.is_lost, coalesce(d.amo_created_at, d.created_at), d.responsible_user_id, d.price,
      coalesce((select array_agg(distinct st.status_id order by st.status_id) from amo_deal_stages st
        where st.account = d.account and st.amo_lead_id = d.amo_lead_id and st.pipeline_id = d.pipeline_id), '{}'::bigint[]),
      (select extract(epoch from st.entered_at - coalesce(d.amo_created_at, d.created_at))::float8 from amo_deal_stages st
        where st.account = d.account and st.amo_lead_id = d.amo_lead_id order by st.entered_at, st.id offset 1 limit 1)
    from amo_deals d where not d.is_deleted and ${only('d')}`);
  await tx.execute(sql`
    insert into analytics_pipelines (account, pipeline_id, deals)
    select account, pipeline_id, count(*)::int from analytics_deals where pipeline_id is not null and ${only()} group by 1, 2
    on conflict (account, pipeline_id) do update set deals = analytics_pipelines.deals + excluded.deals`);
  await tx.execute(sql`delete from analytics_pipelines where deals <= 0`);
  await tx.execute(sql`
    insert into analytics_deal_stages (account, amo_lead_id, pipeline_id, status_id, cohort_at, closed_secs, open_count, open_sum)
    select st.account, st.amo_lead_id, st.pipeline_id, st.status_id, coalesce(d.amo_created_at, d.created_at),
      coalesce(sum(extract(epoch from st.left_at - st.entered_at)) filter (where st.left_at is not null), 0)::float8,
      count(*) filter (where st.left_at is null)::int,
      coalesce(sum(extract(epoch from st.entered_at)) filter (where st.left_at is null), 0)::float8
    from amo_deals d join amo_deal_stages st on st.account = d.account and st.amo_lead_id = d.amo_lead_id and st.pipeline_id = d.pipeline_id
    where not d.is_deleted and ${only('d')}
    group by st.account, st.amo_lead_id, st.pipeline_id, st.status_id, coalesce(d.amo_created_at, d.created_at)`);
}

export interface DealRollup {
  /** Applies one batch of pending events (tests; the loop calls it). */
  pollOnce(): Promise<number>;
  /** Applies events until none is pending. */
  drain(): Promise<void>;
  /** Recomputes every deal (first start on an install that has deals but no facts yet). */
  rebuild(): Promise<void>;
  /** Rebuilds when needed, then follows the events. */
  start(): Promise<void>;
  stop(): Promise<void>;
  wake(): void;
}

export interface DealRollupDeps {
  db: Database;
  logger?: { warn(obj: object, msg: string): void };
  pollMs?: number;
  /** When set, the lead rollup behind Sources (lead-rollup.ts) runs alongside, computed with this commission key. */
  commissionKey?: string;
  relinkMs?: number;
}

export function createDealRollup(deps: DealRollupDeps): DealRollup {
  const consumer: Consumer = createConsumer({
    db: deps.db,
    name: ROLLUP_CONSUMER,
    types: DEAL_FACT_EVENTS,
    batchSize: 500,
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    handle: async (tx, events) => {
      await recomputeDeals(tx, dealKeysOf(events));
    },
  });
  const rebuild = () => deps.db.transaction((tx) => recomputeDeals(tx));
  const leads =
    deps.commissionKey === undefined
      ? undefined
      : createLeadRollup({
          db: deps.db,
          commissionKey: deps.commissionKey,
          ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
          ...(deps.relinkMs !== undefined ? { relinkMs: deps.relinkMs } : {}),
          ...(deps.logger ? { logger: deps.logger } : {}),
        });
  return {
    pollOnce: async () => (await consumer.pollOnce()) + (leads ? await leads.pollOnce() : 0),
    async drain() {
      while ((await consumer.pollOnce()) > 0);
      await leads?.drain();
    },
    async rebuild() {
      await rebuild();
      await leads?.rebuild();
    },
    async start() {
      // Deals synced before this consumer existed (or restored from a dump) have no facts: build them once. The
      // consumer's events from its cursor on are re-applied on top, which is harmless (recomputation).
      const [state] = await queryRows<{ empty: boolean }>(
        deps.db,
        sql`select (exists (select 1 from amo_deals where not is_deleted) and not exists (select 1 from analytics_deals)) as empty`,
      );
      if (state?.empty) await rebuild();
      consumer.start();
      await leads?.start();
    },
    async stop() {
      await consumer.stop();
      await leads?.stop();
    },
    wake: () => {
      consumer.wake();
      leads?.wake();
    },
  };
}
