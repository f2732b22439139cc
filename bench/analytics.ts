// Bench: every dashboard API call over a large synthetic data set. Generates N leads (default 1,000,000), 30 % of
// them with a synced deal (300,000), ~6.7 stage-history rows per deal (~2,000,000), 5 % with a failed attempt,
// 100,000 webhook deliveries — spread over the last 365 days in arrival order, as a real table fills (a day's
// leads sit on neighbouring pages) — builds the deal and lead rollups as a first start would, then times each call the dashboard makes
// (through Fastify inject, session cookie and all) and prints p50 / p95 / max per call.
// Run: npx tsx bench/analytics.ts [leads=1000000] [repeats=20]
// Env:  BENCH_TARGET=postgres (default; a fresh database on BENCH_DATABASE_URL, default
//       postgres://postgres@127.0.0.1:5432/postgres, dropped after) | pglite (in memory; use leads=100000)
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { migrateDb, wrapPglite, wrapPostgres, type Db } from '../src/db/index.js';
import { createScratchDatabase } from './lib/scratch-pg.js';
import { summarise } from './lib/stats.js';

const N = Number(process.argv[2] ?? 1_000_000);
const REPEATS = Number(process.argv[3] ?? 20);
const target = process.env.BENCH_TARGET ?? 'postgres';

async function openTarget(): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (target === 'pglite') {
    const db = await wrapPglite(await PGlite.create());
    await migrateDb(db);
    return { db, drop: () => db.close() };
  }
  // BENCH_KEEP=<name>: reuse (or create and keep) that database, generating only when it is empty.
  const scratch = await createScratchDatabase('bench_analytics', process.env.BENCH_KEEP ? { keep: process.env.BENCH_KEEP } : {});
  const db = wrapPostgres(new pg.Pool({ connectionString: scratch.url, max: 10 }));
  await migrateDb(db);
  return {
    db,
    drop: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

async function step(label: string, fn: () => Promise<unknown>) {
  const t = performance.now();
  await fn();
  console.log(`  ${label}: ${Math.round(performance.now() - t)} ms`);
}

/** The deal rollup as the analytics consumer's first start builds it (the generated rows have no events), then vacuum. */
async function buildRollup(db: Db) {
  const { createDealRollup, createLeadRollup } = await import('../src/analytics/index.js');
  const have = await db.executeSql('select count(*)::int as n from analytics_deals');
  if (Number(have.rows[0]?.n) === 0) await step('deal rollup (rebuild)', () => createDealRollup({ db: db.db }).rebuild());
  const facts = await db.executeSql('select count(*)::int as n from analytics_lead_facts');
  if (Number(facts.rows[0]?.n) === 0) await step('lead rollup (rebuild)', () => createLeadRollup({ db: db.db, commissionKey: 'commission' }).rebuild());
  await step('vacuum analyze', () => db.executeSql('vacuum analyze'));
}

async function generate(db: Db) {
  const d = db.db;
  const have = await db.executeSql('select count(*)::int as n from leads');
  if (Number(have.rows[0]?.n) > 0) {
    console.log(`reusing ${String(have.rows[0]?.n)} leads`);
    await buildRollup(db);
    return;
  }
  const chunk = 100_000;
  console.log(`generating ${N.toLocaleString('en')} leads on ${target}`);
  await step('leads', async () => {
    for (let from = 1; from <= N; from += chunk) {
      const to = Math.min(N, from + chunk - 1);
      await d.execute(sql`
        insert into leads (id, form_key, status, phone, name, attribution, created_at, updated_at, amo_lead_id, responsible_user_id, attempts, last_error)
        select md5(i::text)::uuid, case when i % 5 = 0 then 'fitzone' else 'default' end,
          case when i % 10 < 3 then 'delivered' when i % 100 = 3 then 'dead' when i % 100 = 4 then 'failed' when i % 100 = 5 then 'pending' else 'delivered' end,
          '+7912' || lpad(i::text, 7, '0'), 'Клиент ' || i,
          jsonb_build_object('utm_source', s.src, 'utm_medium', s.med, 'utm_campaign', s.camp,
            'first_touch', jsonb_build_object('utm_source', (array['google','yandex','vk','facebook','direct'])[1 + (i / 7) % 5], 'utm_medium', 'cpc', 'utm_campaign', 'c' || ((i / 7) % 40)),
            'last_touch', jsonb_build_object('utm_source', s.src, 'utm_medium', s.med, 'utm_campaign', s.camp)),
          now() - (${N}::int - i) * (interval '365 days' / ${N}::int) - (i % 97) * interval '1 second', now(),
          case when i % 10 < 3 then i end, case when i % 10 < 3 then 501 + i % 10 end,
          case when i % 100 in (3, 4) then 5 else 1 end,
          case when i % 100 in (3, 4) then jsonb_build_object('reason', (array['timeout','server_500','validation'])[1 + i % 3], 'message', 'x') end
        from generate_series(${from}::int, ${to}::int) as i,
          lateral (select (array['google','yandex','vk','facebook','direct'])[1 + i % 5] as src, (array['cpc','organic','social','email'])[1 + i % 4] as med, 'c' || (i % 40) as camp) s`);
    }
  });
  await step('amo_deals (30 %)', async () => {
    await d.execute(sql`
      insert into amo_deals (amo_lead_id, lead_id, pipeline_id, status_id, responsible_user_id, price, fields, is_won, is_lost, amo_created_at, closed_at)
      select l.amo_lead_id, l.id, case when l.amo_lead_id % 5 = 0 then 200 else 100 end,
        case when l.amo_lead_id % 7 = 0 then 142 when l.amo_lead_id % 7 = 1 then 143 else (array[10,20,30,40,50,60])[1 + l.amo_lead_id % 6] end,
        l.responsible_user_id, 1000 + (l.amo_lead_id % 50) * 100, jsonb_build_object('commission', 100 + l.amo_lead_id % 50),
        l.amo_lead_id % 7 = 0, l.amo_lead_id % 7 = 1, l.created_at + interval '1 minute',
        case when l.amo_lead_id % 7 in (0, 1) then l.created_at + interval '7 days' end
      from leads l where l.amo_lead_id is not null`);
  });
  await step('amo_deal_stages (~6.7 per deal)', async () => {
    await d.execute(sql`
      insert into amo_deal_stages (amo_lead_id, pipeline_id, status_id, entered_at, left_at, source)
      select x.amo_lead_id, x.pipeline_id, x.status_id, x.entered_at, lead(x.entered_at) over (partition by x.amo_lead_id order by x.k), 'webhook'
      from (
        select dl.amo_lead_id, dl.pipeline_id, k,
          case when k = n and dl.is_won then 142 when k = n and dl.is_lost then 143 else (array[10,20,30,40,50,60,10,20])[k] end as status_id,
          dl.amo_created_at + (k - 1) * interval '5 hours' + (dl.amo_lead_id % 60) * interval '1 minute' * k as entered_at
        from amo_deals dl, lateral (select 5 + (dl.amo_lead_id % 4) as n) nn, generate_series(1, nn.n) as k
      ) x`);
  });
  await step('lead_events (attempt_failed for 5 %)', async () => {
    await d.execute(sql`
      insert into lead_events (lead_id, type, at, detail)
      select id, 'attempt_failed', created_at + interval '5 seconds', jsonb_build_object('reason', (array['timeout','server_500','rate_limited','validation'])[1 + (hashtext(id::text) & 3)])
      from leads where (hashtext(id::text) & 31) = 0`);
  });
  await step('webhook_deliveries (100,000)', async () => {
    await d.execute(sql`
      insert into webhook_deliveries (received_at, status, body, body_hash, event_count, applied_count)
      select now() - (100000 - i) * interval '5 minutes' / 10, case when i % 50 = 0 then 'malformed' else 'processed' end, 'x', md5(i::text), 2, 2
      from generate_series(1, ${Math.min(100_000, N / 10)}::int) as i`);
  });
  await buildRollup(db);
  const counts = await db.executeSql(
    `select (select count(*)::int from leads) as leads, (select count(*)::int from amo_deals) as deals, (select count(*)::int from amo_deal_stages) as stages, (select count(*)::int from lead_events) as events`,
  );
  console.log('rows', counts.rows[0]);
}

async function main() {
  const { db, drop } = await openTarget();
  try {
    await generate(db);
    const { addUser } = await import('../src/dashboard/index.js');
    const { dashboardApp } = await import('../test/dashboard.js');
    await addUser(db.db, { email: 'bench@example.com', password: 'bench-password-1', role: 'admin' }).catch((e: { code?: string }) => {
      if (e.code !== 'USER_EXISTS') throw e;
    });
    const { app } = await dashboardApp(db, { now: Date.now });
    const login = await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: { email: 'bench@example.com', password: 'bench-password-1' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const today = day(Date.now());
    const y = `from=${day(Date.now() - 364 * 86400_000)}&to=${today}`;
    const someLead = (await db.executeSql(`select id from leads where amo_lead_id is not null limit 1 offset 1000`)).rows[0]?.id as string;
    const calls: [string, string][] = [
      ['overview', '/api/analytics/overview?tz=Europe/Moscow'],
      ['catalog', '/api/analytics/catalog'],
      ['leads (first page)', '/api/analytics/leads?tz=Europe/Moscow'],
      ['leads status=dead', '/api/analytics/leads?status=dead&tz=Europe/Moscow'],
      ['leads source+form', '/api/analytics/leads?source=vk&form=fitzone&tz=Europe/Moscow'],
      ['leads search phone', '/api/analytics/leads?q=0012345&tz=Europe/Moscow'],
      ['lead page', `/api/analytics/leads/${someLead}`],
      ['funnel 30 d', '/api/analytics/funnel?pipeline=100&tz=Europe/Moscow'],
      ['funnel 365 d', `/api/analytics/funnel?pipeline=100&${y}&tz=Europe/Moscow`],
      ['sources last 30 d', '/api/analytics/sources?touch=last&tz=Europe/Moscow'],
      ['sources first 365 d', `/api/analytics/sources?touch=first&${y}&tz=Europe/Moscow`],
      ['managers 30 d', '/api/analytics/managers?tz=Europe/Moscow'],
      ['managers 365 d', `/api/analytics/managers?${y}&tz=Europe/Moscow`],
      ['delivery 30 d', '/api/analytics/delivery?tz=Europe/Moscow'],
    ];
    console.log(`\n${target}, ${N.toLocaleString('en')} leads, ${REPEATS} runs each (after 2 warm-up runs):`);
    console.log('call'.padEnd(22), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8), 'max ms'.padStart(8));
    for (const [name, url] of calls) {
      const ms: number[] = [];
      for (let i = 0; i < REPEATS + 2; i++) {
        const t = performance.now();
        const res = await app.inject({ method: 'GET', url, headers: { cookie } });
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (i >= 2) ms.push(performance.now() - t);
      }
      const s = summarise(ms);
      const p95 = [...ms].sort((a, b) => a - b)[Math.ceil(0.95 * ms.length) - 1] ?? 0;
      console.log(name.padEnd(22), s.p50.toFixed(0).padStart(8), p95.toFixed(0).padStart(8), s.max.toFixed(0).padStart(8));
    }
    await app.close();
  } finally {
    await drop();
  }
}

await main();
