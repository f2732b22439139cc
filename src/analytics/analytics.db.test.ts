// Every analytics query over the hand-made fixture (test/analytics-fixture.ts). The expected numbers are worked
// out by hand in the comments from the fixture's rows, not read back from the code under test.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { routingDecisions } from '../db/index.js';
import { routingView } from '../routing/index.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { addTestUsers, ADMIN, dashboardApp, signInAs, VIEWER, type Signed } from '../../test/dashboard.js';
import { insertAnalyticsFixture, LEAD } from '../../test/analytics-fixture.js';

let tdb: TestDb;
let app: FastifyInstance;
let admin: Signed;
let viewer: Signed;
const H = 3600;

beforeAll(async () => {
  tdb = await createTestDb();
  await insertAnalyticsFixture(tdb.db);
  await addTestUsers(tdb);
  ({ app } = await dashboardApp(tdb));
  admin = await signInAs(app, ADMIN);
  viewer = await signInAs(app, VIEWER);
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

const get = async (url: string, who: Signed = admin) => {
  const res = await app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
  expect(res.statusCode, res.body).toBe(200);
  return res;
};
const RANGE = 'from=2026-03-01&to=2026-03-20';

describe('overview', () => {
  it('counts leads today / 7 d / 30 d (spam excluded) in the given time zone, statuses, webhooks', async () => {
    const utc = (await get('/api/analytics/overview?tz=UTC')).json();
    // today (>= 03-20 00:00Z): L8. 7 d (>= 03-14): L8, L9, L10. 30 d (>= 02-19): L1–L5, L8, L9, L10.
    expect(utc.leads).toEqual({ today: 1, last7d: 3, last30d: 8 });
    // Moscow's 03-20 starts at 03-19 21:00Z, so L10 (22:30Z) is today there too.
    const msk = (await get('/api/analytics/overview?tz=Europe/Moscow')).json();
    expect(msk.leads.today).toBe(2);
    expect(utc.statuses).toEqual({ delivered: 5, failed: 1, spam: 1, pending: 2, dead: 1 });
    expect(utc.perDay).toHaveLength(30);
    expect(utc.perDay.at(-1)).toEqual({ day: '2026-03-20', leads: 1, delivered: 0 });
    expect(utc.perDay.find((d: { day: string }) => d.day === '2026-03-04')).toEqual({ day: '2026-03-04', leads: 5, delivered: 4 });
    expect(utc.perDay.reduce((a: number, d: { leads: number }) => a + d.leads, 0)).toBe(8);
    // Two deliveries in the last 24 h, one malformed; the newest was received at 11:30.
    expect(utc.webhooks).toEqual({ lastReceivedAt: Date.parse('2026-03-20T11:30:00Z'), received24h: 2, failed24h: 1, pending: 0 });
    // No follow-ups module wired: absent, not zero.
    expect(utc.followups).toBeNull();
  });

  it('refuses an unknown time zone with a 400 problem', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/analytics/overview?tz=Mars/Olympus', headers: { cookie: admin.cookie } });
    expect(res.statusCode).toBe(400);
  });
});

describe('funnel', () => {
  it('counts deals reaching each stage (skips pass through, won reaches all), conversion, median time in stage', async () => {
    const f = (await get(`/api/analytics/funnel?pipeline=100&${RANGE}`)).json();
    // Deals of pipeline 100 created 03-01..03-20, not deleted: D1, D2, D3, D4 (D5 is from February, D7 deleted).
    expect(f).toMatchObject({ pipelineId: 100, pipelineName: 'Asia Deals', deals: 4, won: 2, lost: 1, winRate: 0.5 });
    expect(f.stages.map((s: { name: string }) => s.name)).toEqual(['Новый лид', 'Первичный контакт', 'Встреча']);
    // Furthest stage: D1 won → all, D2 was in 30 (skipping 20) → 3, D3 → 1, D4 won → all.
    expect(f.stages.map((s: { reached: number }) => s.reached)).toEqual([4, 3, 3]);
    expect(f.stages.map((s: { conversionFromPrevious: number | null }) => s.conversionFromPrevious)).toEqual([null, 0.75, 1]);
    // Time in 10 per deal: D1 2 h, D2 4 h, D3 252 h (open until the clock), D4 1 h + 1 h → median of [2, 2, 4, 252] = 3 h.
    // In 20: D1 24 h, D4 6 h + 24 h = 30 h → 27 h. In 30: D2 48 h.
    expect(f.stages.map((s: { medianSeconds: number }) => s.medianSeconds)).toEqual([3 * H, 27 * H, 48 * H]);
  });

  it('narrows by date range and exports CSV with a BOM', async () => {
    // Only D3 was created 03-08..03-20.
    const f = (await get('/api/analytics/funnel?pipeline=100&from=2026-03-08&to=2026-03-20')).json();
    expect(f).toMatchObject({ deals: 1, won: 0, lost: 0 });
    expect(f.stages.map((s: { reached: number }) => s.reached)).toEqual([1, 0, 0]);
    const csv = await get(`/api/analytics/funnel?pipeline=100&${RANGE}&format=csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.startsWith('\uFEFFstage,status_id,reached')).toBe(true);
    expect(csv.body).toContain('Первичный контакт,20,3,0.75,97200');
  });
});

describe('sources', () => {
  type S = { source: string | null; medium: string | null; campaign: string | null; leads: number; deals: number; won: number; revenue: number; commission: number; conversion: number; revenuePerLead: number };
  it('last touch: leads → deals → won → revenue → commission per campaign', async () => {
    const r = (await get(`/api/analytics/sources?touch=last&level=campaign&${RANGE}`)).json();
    const rows: S[] = r.rows;
    // Ordered by leads: yandex (4), google (3), none (1).
    // google/cpc/spring: L1 (D1 won 1000, commission 100), L2 (D2 lost), L5 (no deal).
    expect(rows[1]).toMatchObject({ source: 'google', medium: 'cpc', campaign: 'spring', leads: 3, deals: 2, won: 1, revenue: 1000, commission: 100 });
    expect(rows[1]?.conversion).toBeCloseTo(1 / 3);
    expect(rows[1]?.revenuePerLead).toBeCloseTo(1000 / 3);
    // yandex/cpc/winter: L3 (D3 open), L4 (D4 won 2000, commission "1 500"); L8 and L9 (no deal) too: 4 leads.
    expect(rows[0]).toMatchObject({ source: 'yandex', medium: 'cpc', campaign: 'winter', leads: 4, deals: 2, won: 1, revenue: 2000, commission: 1500, conversion: 0.25, revenuePerLead: 500 });
    // L10 has no UTM at all.
    expect(rows[2]).toMatchObject({ source: null, medium: null, campaign: null, leads: 1, deals: 0, won: 0, revenue: 0 });
    expect(rows).toHaveLength(3);
  });

  it('first touch moves revenue to the campaign that brought the visitor first', async () => {
    const rows: S[] = (await get(`/api/analytics/sources?touch=first&level=campaign&${RANGE}`)).json().rows;
    const by = (s: string | null, m: string | null, c: string | null) => rows.find((x) => x.source === s && x.medium === m && x.campaign === c);
    // first touches: L1 yandex/cpc/winter (won 1000), L2 google/organic, L3 yandex/cpc/winter, L4 google/cpc/spring
    // (won 2000), L5 flat google/cpc/spring, L8 and L9 flat yandex/cpc/winter.
    expect(by('yandex', 'cpc', 'winter')).toMatchObject({ leads: 4, deals: 2, won: 1, revenue: 1000, commission: 100 });
    expect(by('google', 'cpc', 'spring')).toMatchObject({ leads: 2, deals: 1, won: 1, revenue: 2000, commission: 1500 });
    expect(by('google', 'organic', null)).toMatchObject({ leads: 1, deals: 1, won: 0, revenue: 0 });
    // By source only: google = L2, L4, L5; yandex = L1, L3, L8, L9.
    const src: S[] = (await get(`/api/analytics/sources?touch=first&level=source&${RANGE}`)).json().rows;
    expect(src.find((x) => x.source === 'google')).toMatchObject({ medium: null, campaign: null, leads: 3, won: 1, revenue: 2000 });
    expect(src.find((x) => x.source === 'yandex')).toMatchObject({ leads: 4, won: 1, revenue: 1000 });
  });

  it('exports the table as CSV', async () => {
    const csv = (await get(`/api/analytics/sources?touch=last&level=campaign&${RANGE}&format=csv`)).body;
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('utm_source,utm_medium,utm_campaign,leads,deals,won,revenue,commission,conversion,revenue_per_lead');
    expect(lines[1]).toBe('yandex,cpc,winter,4,2,1,2000,1500,0.25,500');
    expect(lines[3]).toBe(',,,1,0,0,0,0,0,0');
    expect(lines).toHaveLength(4);
  });
});

describe('managers', () => {
  it('per manager: assigned, won, lost, revenue, median time from assignment to the first stage change', async () => {
    const rows = (await get(`/api/analytics/managers?${RANGE}`)).json().rows;
    // 501: D1 (won 1000, first change after 2 h), D2 (lost, 4 h) → median 3 h. D5 is from February, D7 deleted.
    expect(rows).toContainEqual({ manager: 501, name: 'Анна', assigned: 2, won: 1, lost: 1, revenue: 1000, medianFirstChangeSeconds: 3 * H, winRate: 0.5 });
    // 502: D3 (never moved), D4 (won 2000, moved after 1 h).
    expect(rows).toContainEqual({ manager: 502, name: 'Борис', assigned: 2, won: 1, lost: 0, revenue: 2000, medianFirstChangeSeconds: 1 * H, winRate: 0.5 });
    expect(rows).toContainEqual({ manager: 503, name: 'Вера', assigned: 1, won: 0, lost: 0, revenue: 0, medianFirstChangeSeconds: null, winRate: 0 });
    expect(rows).toHaveLength(3);
  });
});

describe('delivery', () => {
  it('failed attempts by reason in the range, dead and failed leads, webhook deliveries, reconciliation', async () => {
    const r = (await get(`/api/analytics/delivery?${RANGE}`)).json();
    expect(r.failures).toEqual([
      { reason: 'timeout', attempts: 2, leads: 1 },
      { reason: 'server_500', attempts: 1, leads: 1 },
      { reason: 'validation', attempts: 1, leads: 1 },
    ]);
    expect(r.stuck.map((x: { id: string }) => x.id)).toEqual([LEAD.L9, LEAD.L5]);
    expect(r.stuck[0]).toMatchObject({ status: 'dead', attempts: 3, reason: 'server_500' });
    expect(r.webhooks).toHaveLength(3);
    expect(r.webhookCounts).toEqual({ processed: 2, malformed: 1 });
    expect(r.reconcile[0]).toMatchObject({ name: 'amo_events', detail: { events: 4, leads: 2 } });
    const csv = (await get(`/api/analytics/delivery?${RANGE}&table=stuck&format=csv`)).body;
    expect(csv.trim().split('\r\n')).toHaveLength(3);
  });
});

describe('leads', () => {
  it('lists newest first with filters; search by phone for admins only', async () => {
    const all = (await get('/api/analytics/leads?limit=100')).json();
    expect(all.items).toHaveLength(10);
    expect(all.items[0].id).toBe(LEAD.L8);
    const dead = (await get('/api/analytics/leads?status=dead')).json().items;
    expect(dead.map((x: { id: string }) => x.id)).toEqual([LEAD.L9]);
    const fitzone = (await get('/api/analytics/leads?form=fitzone')).json().items;
    expect(fitzone.map((x: { id: string }) => x.id)).toEqual([LEAD.L4]);
    const google = (await get(`/api/analytics/leads?source=google&${RANGE}`)).json().items;
    // The list shows every lead, spam included (L6).
    expect(google.map((x: { id: string }) => x.id).sort()).toEqual([LEAD.L1, LEAD.L2, LEAD.L5, LEAD.L6].sort());
    const manager = (await get('/api/analytics/leads?manager=502')).json().items;
    expect(manager.map((x: { id: string }) => x.id).sort()).toEqual([LEAD.L3, LEAD.L4].sort());
    const byPhone = (await get('/api/analytics/leads?q=0000004')).json().items;
    expect(byPhone.map((x: { id: string }) => x.id)).toEqual([LEAD.L4]);
    expect((await get('/api/analytics/leads?q=Иван')).json().items[0].email).toBe('ivan@example.ru');
    // The search (indexed, docs/dashboard.md#indexes-migration-0005): phone by its last digits in any national
    // format or its first digits, email by its start, name by the start of a word, deal id exactly.
    const ids = async (q: string) => (await get(`/api/analytics/leads?q=${encodeURIComponent(q)}`)).json().items.map((x: { id: string }) => x.id);
    expect(await ids('8 (912) 000-00-04')).toEqual([LEAD.L4]);
    expect(await ids('+7 912 000 0003')).toEqual([LEAD.L3]);
    expect((await ids('+7912')).length).toBe(10);
    expect(await ids('IVAN@EXAMPLE')).toEqual([LEAD.L1]);
    expect(await ids('пет')).toEqual([LEAD.L1]);
    expect(await ids('ив пет')).toEqual([LEAD.L1]);
    expect(await ids('етр')).toEqual([]);
    expect(await ids('3')).toEqual([LEAD.L3]);
    // A viewer can neither search personal fields nor see them.
    expect((await get('/api/analytics/leads?q=0000004', viewer)).json().items).toEqual([]);
    const v = (await get('/api/analytics/leads?limit=100', viewer)).json();
    expect(v.personal).toBe(false);
    expect(v.items.every((x: { phone: unknown; name: unknown }) => x.phone === null && x.name === null)).toBe(true);
  });

  it('CSV export: admins get contact columns, viewers never do', async () => {
    const a = (await get('/api/analytics/leads?limit=100&format=csv')).body;
    expect(a.split('\r\n')[0]).toContain('phone');
    expect(a).toContain('+79120000004');
    expect(a).toContain('Иван Петров');
    const v = (await get('/api/analytics/leads?limit=100&format=csv', viewer)).body;
    expect(v.split('\r\n')[0]).not.toContain('phone');
    expect(v).not.toContain('+7912');
    expect(v.trim().split('\r\n')).toHaveLength(11);
  });

  it("a lead's page: capture, events, the deal with its link, stage history with time in stage", async () => {
    const r = (await get(`/api/analytics/leads/${LEAD.L4}`)).json();
    expect(r.lead).toMatchObject({ id: LEAD.L4, formKey: 'fitzone', status: 'delivered', phone: '+79120000004' });
    expect(r.lead.attribution.first_touch).toEqual({ utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring' });
    expect(r.deal).toMatchObject({ amoLeadId: 4, price: 2000, commission: 1500, isWon: true, responsibleUserId: 502 });
    expect(r.stages.map((s: { statusId: number; seconds: number }) => [s.statusId, s.seconds / H])).toEqual([
      [10, 1],
      [20, 6],
      [10, 1],
      [20, 24],
      [142, (Date.parse('2026-03-20T12:00:00Z') - Date.parse('2026-03-06T08:00:00Z')) / 1000 / H],
    ]);
    const l1 = (await get(`/api/analytics/leads/${LEAD.L1}`)).json();
    expect(l1.events.map((e: { type: string }) => e.type)).toEqual(['captured', 'delivered']);
    expect(l1.lead.consent).toEqual({ given: true, text_version: 'v1' });
    const v = (await get(`/api/analytics/leads/${LEAD.L1}`, viewer)).json();
    expect(v.lead.name).toBeNull();
    expect(v.lead.phone).toBeNull();
    expect(v.lead.email).toBeNull();
    const missing = await app.inject({ method: 'GET', url: '/api/analytics/leads/00000000-0000-4000-8000-0000000000ff', headers: { cookie: admin.cookie } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('LEAD_NOT_FOUND');
  });

  it("a lead's page shows the routing decision routing stored for the lead, not one rebuilt from the timeline", async () => {
    // No decision source wired: nothing is made up from the timeline.
    expect((await get(`/api/analytics/leads/${LEAD.L1}`)).json().routing).toBeNull();
    await tdb.db.insert(routingDecisions).values({
      account: 'default', leadId: LEAD.L1, rule: 'google', strategy: 'round_robin', outcome: 'assigned', userId: 501, manager: 'anna',
      managerName: 'Анна', reason: 'rule google: round robin', skipped: [{ manager: 'boris', name: 'Борис', reason: 'outside_hours' }],
    });
    // What main.ts wires: routing's own view of its stored row (createRouting().view does exactly this select).
    const view = async (leadId: string) => {
      const [r] = await tdb.db.select().from(routingDecisions).where(eq(routingDecisions.leadId, leadId));
      return r ? routingView(r) : null;
    };
    const { app: withRouting } = await dashboardApp(tdb, { routingView: view });
    try {
      const res = await withRouting.inject({ method: 'GET', url: `/api/analytics/leads/${LEAD.L1}`, headers: { cookie: admin.cookie } });
      expect(res.json().routing).toMatchObject({
        rule: 'google', strategy: 'round_robin', outcome: 'assigned', user_id: 501, manager_name: 'Анна',
        note: 'Назначен: Анна по правилу «google» (по очереди). Пропущены: Борис — вне рабочего времени',
      });
      const other = await withRouting.inject({ method: 'GET', url: `/api/analytics/leads/${LEAD.L4}`, headers: { cookie: admin.cookie } });
      expect(other.json().routing).toBeNull();
    } finally {
      await withRouting.close();
    }
  });
});
