// The lead rollup (analytics_lead_facts, analytics_lead_days) behind Sources: kept by the `analytics_leads` consumer
// of domain_events. `lead.captured` names a new lead; a deal event names the leads linked to that deal (by the
// event's lead_id, by leads.amo_lead_id, and by the facts that were linked to it before). Each batch recomputes the
// named leads' facts from their current `leads` + `amo_deals` rows, then recomputes every daily group those leads
// were in before or are in now from the facts, in the transaction that advances the cursor. Nothing is added or
// subtracted, so duplicates, replays and out-of-order events cannot make the rollup drift.
//
// The link lead → deal (leads.amo_lead_id) is written by delivery without an event; a deal event that arrives
// before it finds no lead. `relink` (every `relinkMs`, default 30 s) recomputes the facts of recent leads
// (`relinkDays`, default 14) whose stored link differs from leads.amo_lead_id.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Database } from '../db/index.js';
import { createConsumer, type Consumer, type EventName } from '../events/index.js';
import { dealKeyIn, dealKeysOf, type DealKey } from './deal-keys.js';
import { DEAL_FACT_EVENTS } from './fact-events.js';
import { dealNumber, touchValue } from './sql.js';

export const LEAD_ROLLUP_CONSUMER = 'analytics_leads';
export const LEAD_FACT_EVENTS = ['lead.captured', ...DEAL_FACT_EVENTS] as const satisfies readonly EventName[];

type Exec = Pick<Database, 'execute'>;

const uuidArr = (ids: readonly string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

const q = <T>(tx: Exec, query: SQL): Promise<T[]> => queryRows<T>(tx, query);

interface Group {
  touch: 'first' | 'last';
  day: string;
  source: string;
  medium: string;
  campaign: string;
  form_key: string;
}

/** The (touch, day, source, medium, campaign, form) groups the given leads' facts are in. */
function groupsOf(ids: SQL): SQL {
  return sql`select 'first' as touch, to_char(day, 'YYYY-MM-DD') as day, first_source as source, first_medium as medium, first_campaign as campaign, form_key
      from analytics_lead_facts where lead_id = any(${ids})
    union
    select 'last', to_char(day, 'YYYY-MM-DD'), last_source, last_medium, last_campaign, form_key
      from analytics_lead_facts where lead_id = any(${ids})`;
}

function insertFacts(commissionKey: string, where: SQL): SQL {
  const v = (touch: 'first' | 'last', key: string) => sql`coalesce(${touchValue(touch, key)}, '')`;
  return sql`insert into analytics_lead_facts (lead_id, created_at, day, form_key, first_source, first_medium, first_campaign,
      last_source, last_medium, last_campaign, amo_lead_id, has_deal, is_won, price, commission)
    select l.id, l.created_at, (l.created_at at time zone 'UTC')::date, l.form_key,
      ${v('first', 'utm_source')}, ${v('first', 'utm_medium')}, ${v('first', 'utm_campaign')},
      ${v('last', 'utm_source')}, ${v('last', 'utm_medium')}, ${v('last', 'utm_campaign')},
      l.amo_lead_id, d.amo_lead_id is not null, coalesce(d.is_won, false), d.price, ${dealNumber(commissionKey)}
    from leads l left join amo_deals d on d.account = l.account and d.amo_lead_id = l.amo_lead_id and not d.is_deleted
    where l.status <> 'spam' and ${where}`;
}

/** Aggregates of one touch from the facts; `only` restricts to the groups of that touch in the jsonb list `g`. */
function insertDays(touch: 'first' | 'last', groups?: SQL): SQL {
  const c = (k: string) => sql.raw(`f.${touch}_${k}`);
  const where = groups
    ? sql`(f.day, f.form_key, ${c('source')}, ${c('medium')}, ${c('campaign')}) in (
        select g.day, g.form_key, g.source, g.medium, g.campaign
        from jsonb_to_recordset(${groups}) as g(touch text, day date, source text, medium text, campaign text, form_key text)
        where g.touch = ${touch})`
    : sql`true`;
  return sql`insert into analytics_lead_days (touch, day, source, medium, campaign, form_key, leads, deals, won, revenue, commission)
    select ${touch}, f.day, ${c('source')}, ${c('medium')}, ${c('campaign')}, f.form_key, count(*)::int,
      count(*) filter (where f.has_deal)::int, count(*) filter (where f.is_won)::int,
      coalesce(sum(f.price) filter (where f.is_won), 0), coalesce(sum(f.commission) filter (where f.is_won), 0)
    from analytics_lead_facts f where ${where}
    group by f.day, ${c('source')}, ${c('medium')}, ${c('campaign')}, f.form_key`;
}

/** Recomputes the facts of the given leads and every daily group they were or are in. */
export async function recomputeLeads(tx: Exec, commissionKey: string, leadIds: readonly string[]): Promise<void> {
  const ids = [...new Set(leadIds)];
  if (ids.length === 0) return;
  const arr = uuidArr(ids);
  const before = await q<Group>(tx, groupsOf(arr));
  await tx.execute(sql`delete from analytics_lead_facts where lead_id = any(${arr})`);
  await tx.execute(insertFacts(commissionKey, sql`l.id = any(${arr})`));
  const after = await q<Group>(tx, groupsOf(arr));
  const seen = new Map<string, Group>();
  for (const g of [...before, ...after]) seen.set(JSON.stringify([g.touch, g.day, g.source, g.medium, g.campaign, g.form_key]), g);
  if (seen.size === 0) return;
  const groups = sql`${JSON.stringify([...seen.values()])}::jsonb`;
  await tx.execute(sql`delete from analytics_lead_days d using jsonb_to_recordset(${groups}) as g(touch text, day date, source text, medium text, campaign text, form_key text)
    where d.touch = g.touch and d.day = g.day and d.source = g.source and d.medium = g.medium and d.campaign = g.campaign and d.form_key = g.form_key`);
  await tx.execute(insertDays('first', groups));
  await tx.execute(insertDays('last', groups));
}

/** Rebuilds every fact and aggregate (first start, or a different commission key). */
export async function rebuildLeads(tx: Exec, commissionKey: string): Promise<void> {
  await tx.execute(sql`delete from analytics_lead_days`);
  await tx.execute(sql`delete from analytics_lead_facts`);
  await tx.execute(insertFacts(commissionKey, sql`true`));
  await tx.execute(insertDays('first'));
  await tx.execute(insertDays('last'));
  await tx.execute(sql`insert into analytics_lead_rollup (id, commission_key) values ('default', ${commissionKey})
    on conflict (id) do update set commission_key = excluded.commission_key`);
}

/**
 * The leads a batch names: lead ids of the events, leads linked to the deals (in the deal's account), and facts
 * linked to them before (a lead's account never changes, so the facts' link is read with the lead's account).
 */
export async function leadsOfDeals(tx: Exec, leadIds: readonly string[], deals: readonly DealKey[]): Promise<string[]> {
  const parts: SQL[] = [];
  if (leadIds.length) parts.push(sql`select id from leads where id = any(${uuidArr(leadIds)})`);
  if (deals.length) {
    parts.push(sql`select id from leads where ${dealKeyIn(deals)}`);
    parts.push(sql`select f.lead_id from analytics_lead_facts f join leads l on l.id = f.lead_id where ${dealKeyIn(deals, 'l', 'f')}`);
  }
  if (!parts.length) return [];
  const r = await q<{ id: string }>(tx, sql`select distinct x.id::text as id from (${sql.join(parts, sql` union `)}) as x(id)`);
  return r.map((x) => x.id);
}

/** Recent leads whose deal link (leads.amo_lead_id, written by delivery without an event) differs from their facts. */
export async function relinkLeads(tx: Exec, commissionKey: string, days: number): Promise<number> {
  const r = await q<{ id: string }>(
    tx,
    sql`select l.id::text as id from analytics_lead_facts f join leads l on l.id = f.lead_id
      where f.created_at >= now() - make_interval(days => ${days}::int) and l.amo_lead_id is distinct from f.amo_lead_id`,
  );
  await recomputeLeads(tx, commissionKey, r.map((x) => x.id));
  return r.length;
}

export interface LeadRollup {
  pollOnce(): Promise<number>;
  drain(): Promise<void>;
  rebuild(): Promise<void>;
  /** One relink sweep (the timer runs it every relinkMs). */
  relink(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
  wake(): void;
}

export interface LeadRollupDeps {
  db: Database;
  /** Config key of the commission deal field. */
  commissionKey: string;
  logger?: { warn(obj: object, msg: string): void };
  pollMs?: number;
  relinkMs?: number;
  relinkDays?: number;
}

export function createLeadRollup(deps: LeadRollupDeps): LeadRollup {
  const key = deps.commissionKey;
  const consumer: Consumer = createConsumer({
    db: deps.db,
    name: LEAD_ROLLUP_CONSUMER,
    types: LEAD_FACT_EVENTS,
    batchSize: 500,
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    handle: async (tx, events) => {
      const leadIds = [...new Set(events.map((e) => e.leadId).filter((id): id is string => id !== null))];
      const deals = dealKeysOf(events.filter((e) => e.type !== 'lead.captured'));
      await recomputeLeads(tx, key, await leadsOfDeals(tx, leadIds, deals));
    },
  });
  const rebuild = () => deps.db.transaction((tx) => rebuildLeads(tx, key));
  const relink = () => deps.db.transaction((tx) => relinkLeads(tx, key, deps.relinkDays ?? 14));
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  return {
    pollOnce: () => consumer.pollOnce(),
    async drain() {
      while ((await consumer.pollOnce()) > 0);
    },
    rebuild,
    relink,
    async start() {
      // Leads captured before this consumer existed have no facts, and a changed commission key invalidates them.
      const [s] = await q<{ rebuild: boolean }>(
        deps.db,
        sql`select ((exists (select 1 from leads where status <> 'spam') and not exists (select 1 from analytics_lead_facts))
          or coalesce((select commission_key from analytics_lead_rollup where id = 'default'), ${key}) <> ${key}) as rebuild`,
      );
      if (s?.rebuild) await rebuild();
      else await deps.db.execute(sql`insert into analytics_lead_rollup (id, commission_key) values ('default', ${key}) on conflict (id) do nothing`);
      consumer.start();
      timer = setInterval(() => {
        sweeping = relink().catch((err: unknown) => deps.logger?.warn({ err: String(err) }, 'lead rollup relink failed'));
      }, deps.relinkMs ?? 30_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await sweeping;
      await consumer.stop();
    },
    wake: () => consumer.wake(),
  };
}
