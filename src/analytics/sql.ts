// Every analytics query, as SQL over the tables of intake, delivery and webhook sync (read only). Casts happen in
// SQL (::int, ::float8, epoch ms) so both drivers return plain numbers (stack.md §4.7). Date ranges are calendar
// days [from, to] in the caller's IANA time zone.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Database } from '../db/index.js';

export type Touch = 'first' | 'last';
export type SourceLevel = 'source' | 'medium' | 'campaign';

export interface Range {
  /** YYYY-MM-DD, inclusive. */
  from: string;
  /** YYYY-MM-DD, inclusive. */
  to: string;
  tz: string;
}

type Row = Record<string, unknown>;
/**
 * Runs one read with JIT off (PostgreSQL compiles expensive-looking plans first, ~100 ms that these short reads
 * never win back). `bitmapOnly`: only bitmap scans (the search, whose name arm the planner cannot estimate).
 */
async function rows<T = Row>(db: Database, q: SQL, opts: { bitmapOnly?: boolean } = {}): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local jit = off`);
    if (opts.bitmapOnly) {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_indexscan = off`);
    }
    return queryRows<T>(tx, q);
  });
}

const startOf = (day: string, tz: string) => sql`((${day}::date)::timestamp at time zone ${tz})`;
const endOf = (day: string, tz: string) => sql`(((${day}::date) + 1)::timestamp at time zone ${tz})`;
const ms = (col: SQL) => sql`(extract(epoch from ${col}) * 1000)::float8`;
const ts = (nowMs: number) => sql`${new Date(nowMs).toISOString()}::timestamptz`;

/** A UTM value of the lead for first or last touch: from the touch record when capture stored one, else the flat utm_*. */
export function touchValue(touch: Touch, key: string, alias = 'l'): SQL {
  const obj = touch === 'first' ? 'first_touch' : 'last_touch';
  const a = `${alias}.attribution`;
  return sql.raw(`nullif(case when jsonb_typeof(${a} -> '${obj}') = 'object' then ${a} -> '${obj}' ->> '${key}' else ${a} ->> '${key}' end, '')`);
}

/** A mapped numeric deal field by config key (numbers, or numeric text like "1 500,5"). */
export function dealNumber(key: string, alias = 'd'): SQL {
  const v = sql`${sql.raw(alias)}.fields ->> ${key}::text`;
  return sql`(case when ${sql.raw(alias)}.fields -> ${key}::text is null then null
    when jsonb_typeof(${sql.raw(alias)}.fields -> ${key}::text) = 'number' then (${v})::numeric
    when replace(replace(${v}, ' ', ''), ',', '.') ~ '^-?[0-9]+(\\.[0-9]+)?$' then replace(replace(${v}, ' ', ''), ',', '.')::numeric
    end)`;
}

// ── Overview ────────────────────────────────────────────────────────────────────────────────────────────────

export interface LeadCounts {
  today: number;
  last7d: number;
  last30d: number;
}

export async function leadCounts(db: Database, tz: string, nowMs: number): Promise<LeadCounts> {
  const [r] = await rows<LeadCounts>(
    db,
    sql`with b as (select (date_trunc('day', ${ts(nowMs)} at time zone ${tz}) at time zone ${tz}) as today)
      select count(l.created_at) filter (where l.created_at >= b.today)::int as "today",
        count(l.created_at) filter (where l.created_at >= b.today - interval '6 days')::int as "last7d",
        count(l.created_at)::int as "last30d"
      from b left join leads l on l.created_at >= b.today - interval '29 days' and l.created_at <= ${ts(nowMs)} and l.status <> 'spam'`,
  );
  return r ?? { today: 0, last7d: 0, last30d: 0 };
}

export async function statusCounts(db: Database): Promise<Record<string, number>> {
  const r = await rows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from leads group by status`);
  return Object.fromEntries(r.map((x) => [x.status, x.n]));
}

export interface DayCount {
  day: string;
  leads: number;
  delivered: number;
}

/** Leads per calendar day (in `tz`) for the last `days` days including today, zero-filled. */
export async function leadsPerDay(db: Database, tz: string, nowMs: number, days: number): Promise<DayCount[]> {
  return rows<DayCount>(
    db,
    sql`with b as (select (${ts(nowMs)} at time zone ${tz})::date as today),
      c as (select (l.created_at at time zone ${tz})::date as day, count(*)::int as n,
              count(*) filter (where l.status = 'delivered')::int as delivered
            from leads l, b where l.created_at >= ((b.today - ${days - 1}::int)::timestamp at time zone ${tz}) and l.status <> 'spam' group by 1)
      select to_char(g.day, 'YYYY-MM-DD') as day, coalesce(c.n, 0)::int as leads, coalesce(c.delivered, 0)::int as delivered
      from b, generate_series(b.today - ${days - 1}::int, b.today, interval '1 day') as g(day)
      left join c on c.day = g.day::date order by g.day`,
  );
}

export interface WebhookHealth {
  lastReceivedAt: number | null;
  received24h: number;
  failed24h: number;
  pending: number;
}

export async function webhookHealth(db: Database, nowMs: number): Promise<WebhookHealth> {
  const [r] = await rows<WebhookHealth>(
    db,
    sql`select (select ${ms(sql`received_at`)} from webhook_deliveries order by id desc limit 1) as "lastReceivedAt",
      count(*)::int as "received24h",
      count(*) filter (where status in ('failed', 'malformed', 'rejected'))::int as "failed24h",
      (select count(*)::int from webhook_deliveries where status = 'pending') as "pending"
      from webhook_deliveries where received_at >= ${ts(nowMs)} - interval '24 hours'`,
  );
  return r ?? { lastReceivedAt: null, received24h: 0, failed24h: 0, pending: 0 };
}

// ── Leads ───────────────────────────────────────────────────────────────────────────────────────────────────

export interface LeadFilter {
  q?: string;
  form?: string;
  source?: string;
  status?: string;
  manager?: number;
  from?: string;
  to?: string;
  tz: string;
  limit: number;
  offset: number;
  /** Search personal fields (name, phone, email) too: admins only. */
  personal: boolean;
}

export interface LeadListRow {
  id: string;
  createdAt: number;
  formKey: string;
  status: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  amoLeadId: number | null;
  manager: number | null;
  attempts: number;
}

export async function listLeads(db: Database, f: LeadFilter): Promise<LeadListRow[]> {
  const where: SQL[] = [sql`true`];
  if (f.form) where.push(sql`l.form_key = ${f.form}`);
  if (f.status) where.push(sql`l.status = ${f.status}`);
  if (f.source) where.push(sql`${touchValue('last', 'utm_source')} = ${f.source}`);
  if (f.manager !== undefined) where.push(sql`coalesce(d.responsible_user_id, l.responsible_user_id) = ${f.manager}`);
  if (f.from) where.push(sql`l.created_at >= ${startOf(f.from, f.tz)}`);
  if (f.to) where.push(sql`l.created_at < ${endOf(f.to, f.tz)}`);
  const q = f.q?.trim();
  if (q) where.push(searchCondition(q, f.personal));
  return rows<LeadListRow>(
    db,
    sql`select l.id, ${ms(sql`l.created_at`)} as "createdAt", l.form_key as "formKey", l.status, l.name, l.phone, l.email,
        ${touchValue('last', 'utm_source')} as "utmSource", ${touchValue('last', 'utm_medium')} as "utmMedium",
        ${touchValue('last', 'utm_campaign')} as "utmCampaign", l.amo_lead_id::float8 as "amoLeadId",
        coalesce(d.responsible_user_id, l.responsible_user_id)::float8 as "manager", l.attempts
      from leads l left join amo_deals d on d.account = l.account and d.amo_lead_id = l.amo_lead_id
      where ${sql.join(where, sql` and `)}
      order by l.created_at desc, l.id desc limit ${f.limit} offset ${f.offset}`,
    { bitmapOnly: !!q },
  );
}

/**
 * The lead search, every arm served by an index (migration 0005): the lead id (exact), the amoCRM deal id (exact)
 * and, for admins, the phone by its first digits (after the country code's +) or its last digits (so 8 912…,
 * +7 912… and "2345" all find +79120012345), the email by its start, and the name by the start of each word
 * ("ив пет" finds "Иван Петров"). Substrings in the middle are not searched: that needs a trigram index.
 */
export function searchCondition(q: string, personal: boolean, alias = 'l'): SQL {
  const c = (col: string) => sql.raw(`${alias}.${col}`);
  const parts: SQL[] = [];
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(q)) parts.push(sql`${c('id')} = ${q.toLowerCase()}::uuid`);
  if (/^[1-9]\d{0,14}$/.test(q)) parts.push(sql`${c('amo_lead_id')} = ${Number(q)}::bigint`);
  if (personal) {
    const esc = (v: string) => v.replace(/[\\%_]/g, (c) => `\\${c}`);
    const digits = q.replace(/\D/g, '');
    if (digits.length >= 3 && /^[\d\s()+\-.]+$/.test(q)) {
      parts.push(sql`${c('phone')} like ${`+${esc(digits)}%`}`);
      // The last digits: at most 10 (the national number), so a leading 8 or 7 or +7 does not matter.
      const tail = digits.slice(-10);
      parts.push(sql`reverse(${c('phone')}) like ${`${esc([...tail].reverse().join(''))}%`}`);
    }
    parts.push(sql`lower(${c('email')}) like ${`${esc(q.toLowerCase())}%`}`);
    const words = q.split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 8);
    if (words.length) parts.push(sql`to_tsvector('simple', coalesce(${c('name')}, '')) @@ to_tsquery('simple', ${words.map((w) => `${w}:*`).join(' & ')})`);
  }
  if (parts.length === 0) return sql`false`;
  return sql`(${sql.join(parts, sql` or `)})`;
}

export interface LeadDetail {
  lead: Row;
  events: { at: number; type: string; detail: Record<string, unknown> }[];
  deal: Row | null;
  stages: { pipelineId: number; statusId: number; enteredAt: number; leftAt: number | null; seconds: number; source: string }[];
  amoHost: string | null;
}

export async function leadDetail(db: Database, id: string, nowMs: number, commissionKey: string): Promise<LeadDetail | undefined> {
  const [found] = await rows(
    db,
    sql`select l.id, ${ms(sql`l.created_at`)} as "createdAt", l.form_key as "formKey", l.status, l.name, l.phone, l.email,
        l.message, l.extra, l.attribution, l.consent, l.attempts, l.last_error as "lastError", l.amo_lead_id::float8 as "amoLeadId",
        l.amo_contact_id::float8 as "amoContactId", ${ms(sql`l.delivered_at`)} as "deliveredAt",
        l.responsible_user_id::float8 as "responsibleUserId", l.account
      from leads l where l.id = ${id}::uuid`,
  );
  if (!found) return undefined;
  // The deal and the connection are the lead's account's (amoCRM ids are unique only within an account).
  const { account, ...lead } = found as Row & { account: string };
  const events = await rows<LeadDetail['events'][number]>(
    db,
    sql`select ${ms(sql`at`)} as at, type, detail from lead_events where lead_id = ${id}::uuid order by at, id`,
  );
  const amoLeadId = lead.amoLeadId as number | null;
  const [deal] = amoLeadId
    ? await rows(
        db,
        sql`select d.amo_lead_id::float8 as "amoLeadId", d.name, d.pipeline_id::float8 as "pipelineId", d.status_id::float8 as "statusId",
            d.responsible_user_id::float8 as "responsibleUserId", d.price::float8 as price, ${dealNumber(commissionKey)}::float8 as commission,
            d.fields, d.is_won as "isWon", d.is_lost as "isLost", d.is_deleted as "isDeleted", ${ms(sql`d.closed_at`)} as "closedAt",
            ${ms(sql`d.amo_created_at`)} as "amoCreatedAt"
          from amo_deals d where d.account = ${account} and d.amo_lead_id = ${amoLeadId}`,
      )
    : [];
  const stages = amoLeadId
    ? await rows<LeadDetail['stages'][number]>(
        db,
        sql`select pipeline_id::float8 as "pipelineId", status_id::float8 as "statusId", ${ms(sql`entered_at`)} as "enteredAt",
            ${ms(sql`left_at`)} as "leftAt", extract(epoch from coalesce(left_at, ${ts(nowMs)}) - entered_at)::float8 as seconds, source
          from amo_deal_stages where account = ${account} and amo_lead_id = ${amoLeadId} order by entered_at, id`,
      )
    : [];
  const [conn] = await rows<{ host: string }>(db, sql`select host from amo_connections where id = ${account}`);
  return { lead, events, deal: deal ?? null, stages, amoHost: conn?.host ?? null };
}

// ── Funnel ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface FunnelStageRow {
  statusId: number;
  reached: number;
  medianSeconds: number | null;
}

export interface FunnelResult {
  deals: number;
  won: number;
  lost: number;
  stages: FunnelStageRow[];
}

export const WON = 142;
export const LOST = 143;

/**
 * Deals of `pipelineId` created in the range. A deal reached stage k when it was ever in stage k or later of
 * `order` (skipped stages count as passed, amoCRM's rule); a won deal reached every stage; a lost deal reached
 * the stages it had been in. Median time in stage: over the deals that were in it, each deal's total time there
 * (an open stay counts until now).
 */
export async function funnel(db: Database, pipelineId: number, order: number[], range: Range, nowMs: number): Promise<FunnelResult> {
  // Read from the deal rollup (rollup.ts): one fact row per deal, one per (deal, stage of its pipeline).
  const arr = sql`${`{${order.join(',')}}`}::bigint[]`;
  const n = order.length;
  const inRange = sql`pipeline_id = ${pipelineId} and cohort_at >= ${startOf(range.from, range.tz)} and cohort_at < ${endOf(range.to, range.tz)}`;
  // reached(k): won, or ever in a stage at position ≥ k (or won), or now in one — array overlaps, no per-row subquery.
  const won = sql`(is_won or visited && ${`{${WON}}`}::bigint[])`;
  const reachedCols = order.map((_, k) => {
    const tail = sql`${`{${order.slice(k).join(',')}}`}::bigint[]`;
    return sql`count(*) filter (where ${won} or visited && ${tail} or status_id = any(${tail}))::int`;
  });
  const [counts, medians] = await Promise.all([
    rows<{ deals: number; won: number; lost: number; reached: number[] }>(
      db,
      sql`select count(*)::int as deals, count(*) filter (where is_won)::int as won, count(*) filter (where is_lost)::int as lost,
          array[${n > 0 ? sql.join(reachedCols, sql`, `) : sql``}]::int[] as reached
        from analytics_deals where ${inRange}`,
    ),
    // One index-only range per stage (the index is ordered by pipeline, stage, cohort date), run side by side.
    Promise.all(
      order.map(async (statusId) => {
        const [m] = await rows<{ v: number | null }>(
          db,
          sql`select (percentile_cont(0.5) within group (order by closed_secs + open_count * ${nowMs / 1000}::float8 - open_sum))::float8 as v
            from analytics_deal_stages where ${inRange} and status_id = ${statusId}`,
        );
        return { statusId, medianSeconds: m?.v ?? null };
      }),
    ),
  ]);
  const tot = counts[0];
  const med = new Map(medians.map((m) => [m.statusId, m.medianSeconds]));
  return {
    deals: tot?.deals ?? 0,
    won: tot?.won ?? 0,
    lost: tot?.lost ?? 0,
    stages: order.map((statusId, i) => ({ statusId, reached: Number(tot?.reached[i] ?? 0), medianSeconds: med.get(statusId) ?? null })),
  };
}

/** The same funnel straight from amo_deals + amo_deal_stages (no rollup): the reference the rollup is tested against. */
export async function funnelRaw(db: Database, pipelineId: number, order: number[], range: Range, nowMs: number): Promise<FunnelResult> {
  const arr = sql`${`{${order.join(',')}}`}::bigint[]`;
  const n = order.length;
  const base = sql`d as (
      select account, amo_lead_id, status_id, is_won, is_lost from amo_deals
      where pipeline_id = ${pipelineId} and not is_deleted
        and coalesce(amo_created_at, created_at) >= ${startOf(range.from, range.tz)}
        and coalesce(amo_created_at, created_at) < ${endOf(range.to, range.tz)}),
    s as (
      select st.account, st.amo_lead_id, st.status_id, sum(extract(epoch from coalesce(st.left_at, ${ts(nowMs)}) - st.entered_at))::float8 as secs
      from amo_deal_stages st join d on d.account = st.account and d.amo_lead_id = st.amo_lead_id
      where st.pipeline_id = ${pipelineId} group by 1, 2, 3),
    pos as (
      select d.account, d.amo_lead_id, greatest(
          case when d.is_won then ${n + 1}::int else coalesce(array_position(${arr}, d.status_id), 0) end,
          coalesce(max(case when s.status_id = ${WON} then ${n + 1}::int else array_position(${arr}, s.status_id) end), 0)) as p
      from d left join s on s.account = d.account and s.amo_lead_id = d.amo_lead_id group by d.account, d.amo_lead_id, d.is_won, d.status_id)`;
  const stages = await rows<FunnelStageRow & { ord: number }>(
    db,
    sql`with ${base}
      select o.ord::int as ord, o.status_id::float8 as "statusId",
        (select count(*)::int from pos where pos.p >= o.ord) as reached,
        (select (percentile_cont(0.5) within group (order by s.secs))::float8 from s where s.status_id = o.status_id) as "medianSeconds"
      from unnest(${arr}) with ordinality as o(status_id, ord) order by o.ord`,
  );
  const [tot] = await rows<{ deals: number; won: number; lost: number }>(
    db,
    sql`with ${base} select count(*)::int as deals, count(*) filter (where is_won)::int as won, count(*) filter (where is_lost)::int as lost from d`,
  );
  return { deals: tot?.deals ?? 0, won: tot?.won ?? 0, lost: tot?.lost ?? 0, stages: stages.map(({ ord: _o, ...s }) => s) };
}

/** Pipelines that have deals (for the funnel's pipeline picker when the config names none). */
export async function dealPipelines(db: Database): Promise<{ pipelineId: number; deals: number }[]> {
  return rows(db, sql`select pipeline_id::float8 as "pipelineId", deals from analytics_pipelines where deals > 0 order by deals desc, pipeline_id`);
}

/** Stage order when amoCRM's pipeline is unknown: the open stages its deals have been in, by id. */
export async function stagesSeen(db: Database, pipelineId: number): Promise<number[]> {
  const r = await rows<{ id: number }>(
    db,
    sql`select distinct status_id::float8 as id from analytics_deal_stages where pipeline_id = ${pipelineId} and status_id not in (${WON}, ${LOST}) order by 1`,
  );
  return r.map((x) => x.id);
}

// ── Sources ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface SourceRow {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  leads: number;
  deals: number;
  won: number;
  revenue: number;
  commission: number;
}

/**
 * Leads created in the range (spam excluded) by UTM of the chosen touch → deals synced for them → won deals →
 * revenue (price of won deals) → commission (the mapped field of won deals).
 */
export async function sources(db: Database, touch: Touch, level: SourceLevel, range: Range): Promise<SourceRow[]> {
  // From the lead rollup (lead-rollup.ts): whole UTC days of the range from the daily aggregates, the partial days at
  // its edges (a time zone other than UTC) from the per-lead facts. [a, b) is the range; [da, db) its whole UTC days.
  const p = sql.raw(touch);
  const medium = level === 'source' ? sql`null::text` : sql`nullif(x.medium, '')`;
  const campaign = level === 'campaign' ? sql`nullif(x.campaign, '')` : sql`null::text`;
  const fact = sql`f.${p}_source, f.${p}_medium, f.${p}_campaign, 1, f.has_deal::int, f.is_won::int,
    case when f.is_won then f.price end, case when f.is_won then f.commission end`;
  return rows<SourceRow>(
    db,
    sql`with r as (select ${startOf(range.from, range.tz)} as a, ${endOf(range.to, range.tz)} as b),
      u as (select a, b, (a at time zone 'UTC') as au, (b at time zone 'UTC')::date as db from r),
      e as (select a, b, db, case when au = au::date then au::date else au::date + 1 end as da from u),
      w as (select a, b, da, db, (da::timestamp at time zone 'UTC') as dat, (db::timestamp at time zone 'UTC') as dbt from e),
      x (source, medium, campaign, leads, deals, won, revenue, commission) as (
        select g.source, g.medium, g.campaign, g.leads, g.deals, g.won, g.revenue, g.commission
          from analytics_lead_days g, w where g.touch = ${touch} and g.day >= w.da and g.day < w.db
        union all
        select ${fact} from analytics_lead_facts f, w where f.created_at >= w.a and f.created_at < least(w.b, w.dat)
        union all
        select ${fact} from analytics_lead_facts f, w where f.created_at >= greatest(w.a, w.dat, w.dbt) and f.created_at < w.b)
      select nullif(x.source, '') as source, ${medium} as medium, ${campaign} as campaign, sum(x.leads)::int as leads,
        sum(x.deals)::int as deals, sum(x.won)::int as won, coalesce(sum(x.revenue), 0)::float8 as revenue,
        coalesce(sum(x.commission), 0)::float8 as commission
      from x group by 1, 2, 3 order by leads desc, revenue desc, 1, 2, 3`,
  );
}

/** The same straight from leads + amo_deals (no rollup): the reference the lead rollup is tested against. */
export async function sourcesRaw(db: Database, touch: Touch, level: SourceLevel, range: Range, commissionKey: string): Promise<SourceRow[]> {
  const medium = level === 'source' ? sql`null::text` : touchValue(touch, 'utm_medium');
  const campaign = level === 'campaign' ? touchValue(touch, 'utm_campaign') : sql`null::text`;
  return rows<SourceRow>(
    db,
    sql`with l as (
        select ${touchValue(touch, 'utm_source')} as source, ${medium} as medium, ${campaign} as campaign, l.account, l.amo_lead_id
        from leads l
        where l.created_at >= ${startOf(range.from, range.tz)} and l.created_at < ${endOf(range.to, range.tz)} and l.status <> 'spam')
      select l.source, l.medium, l.campaign, count(*)::int as leads, count(d.amo_lead_id)::int as deals,
        count(*) filter (where d.is_won)::int as won,
        coalesce(sum(d.price) filter (where d.is_won), 0)::float8 as revenue,
        coalesce(sum(d.commission) filter (where d.is_won), 0)::float8 as commission
      -- The deal by its key for the leads that have one (a hash of all deals costs more for a month of leads).
      from l left join lateral (
        select d.amo_lead_id, d.is_won, d.price, ${dealNumber(commissionKey)} as commission from amo_deals d
        where l.amo_lead_id is not null and d.account = l.account and d.amo_lead_id = l.amo_lead_id and not d.is_deleted limit 1) d on true
      group by 1, 2, 3 order by leads desc, revenue desc, 1, 2, 3`,
  );
}

// ── Managers ────────────────────────────────────────────────────────────────────────────────────────────────

export interface ManagerRow {
  manager: number | null;
  assigned: number;
  won: number;
  lost: number;
  revenue: number;
  /** Median seconds from assignment (the deal's creation) to its first stage change; null when none moved. */
  medianFirstChangeSeconds: number | null;
}

export async function managers(db: Database, range: Range): Promise<ManagerRow[]> {
  return rows<ManagerRow>(
    db,
    sql`select responsible_user_id::float8 as manager, count(*)::int as assigned, count(*) filter (where is_won)::int as won,
        count(*) filter (where is_lost)::int as lost, coalesce(sum(price) filter (where is_won), 0)::float8 as revenue,
        (percentile_cont(0.5) within group (order by first_change_secs))::float8 as "medianFirstChangeSeconds"
      from analytics_deals where cohort_at >= ${startOf(range.from, range.tz)} and cohort_at < ${endOf(range.to, range.tz)}
      group by responsible_user_id order by assigned desc, manager`,
  );
}

/** The same from the raw tables (the rollup's reference in tests). */
export async function managersRaw(db: Database, range: Range): Promise<ManagerRow[]> {
  return rows<ManagerRow>(
    db,
    sql`with d as (
        select account, amo_lead_id, responsible_user_id, is_won, is_lost, price, coalesce(amo_created_at, created_at) as assigned_at from amo_deals
        where not is_deleted and coalesce(amo_created_at, created_at) >= ${startOf(range.from, range.tz)}
          and coalesce(amo_created_at, created_at) < ${endOf(range.to, range.tz)}),
      st as (
        select st.account, st.amo_lead_id, st.entered_at, row_number() over (partition by st.account, st.amo_lead_id order by st.entered_at, st.id) as rn
        from amo_deal_stages st join d on d.account = st.account and d.amo_lead_id = st.amo_lead_id),
      fc as (select d.account, d.amo_lead_id, extract(epoch from st.entered_at - d.assigned_at)::float8 as secs
        from d join st on st.account = d.account and st.amo_lead_id = d.amo_lead_id and st.rn = 2)
      select d.responsible_user_id::float8 as manager, count(*)::int as assigned, count(*) filter (where d.is_won)::int as won,
        count(*) filter (where d.is_lost)::int as lost, coalesce(sum(d.price) filter (where d.is_won), 0)::float8 as revenue,
        (percentile_cont(0.5) within group (order by fc.secs))::float8 as "medianFirstChangeSeconds"
      from d left join fc on fc.account = d.account and fc.amo_lead_id = d.amo_lead_id
      group by d.responsible_user_id order by assigned desc, manager`,
  );
}

// ── Delivery ────────────────────────────────────────────────────────────────────────────────────────────────

export async function failuresByReason(db: Database, range: Range): Promise<{ reason: string; attempts: number; leads: number }[]> {
  return rows(
    db,
    sql`select coalesce(detail ->> 'reason', 'unknown') as reason, count(*)::int as attempts, count(distinct lead_id)::int as leads
      from lead_events where type = 'attempt_failed' and at >= ${startOf(range.from, range.tz)} and at < ${endOf(range.to, range.tz)}
      group by 1 order by attempts desc, reason`,
  );
}

export interface DeadLeadRow {
  id: string;
  createdAt: number;
  formKey: string;
  status: string;
  attempts: number;
  reason: string | null;
  message: string | null;
}

export async function stuckLeads(db: Database, limit: number): Promise<DeadLeadRow[]> {
  return rows<DeadLeadRow>(
    db,
    sql`select id, ${ms(sql`created_at`)} as "createdAt", form_key as "formKey", status, attempts,
        last_error ->> 'reason' as reason, left(last_error ->> 'message', 200) as message
      from leads where status in ('dead', 'failed') order by created_at desc limit ${limit}`,
  );
}

/** The newest deliveries (ordered by the table's id, not the float8 output column of that name: the key's index). */
export async function webhookDeliveries(db: Database, limit: number): Promise<Row[]> {
  return rows(
    db,
    sql`select id::float8 as id, ${ms(sql`received_at`)} as "receivedAt", status, error_code as "errorCode", event_count as "eventCount",
        applied_count as "appliedCount", attempts, ${ms(sql`processed_at`)} as "processedAt"
      from webhook_deliveries w order by w.id desc limit ${limit}`,
  );
}

export async function webhookStatusCounts(db: Database, nowMs: number): Promise<Record<string, number>> {
  const r = await rows<{ status: string; n: number }>(
    db,
    sql`select status, count(*)::int as n from webhook_deliveries where received_at >= ${ts(nowMs)} - interval '7 days' group by 1`,
  );
  return Object.fromEntries(r.map((x) => [x.status, x.n]));
}

export async function reconcileRuns(db: Database): Promise<{ name: string; cursor: number; detail: Record<string, unknown>; updatedAt: number }[]> {
  return rows(db, sql`select name, cursor::float8 as cursor, detail, ${ms(sql`updated_at`)} as "updatedAt" from amo_sync_cursors order by updated_at desc`);
}
