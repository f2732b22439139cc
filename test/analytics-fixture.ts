// Hand-made analytics fixture (tests only). Every expected number in analytics.db.test.ts is worked out by hand
// from the rows below; the comments give the durations the test relies on. The clock is 2026-03-20T12:00Z.
import { amoDeals, amoDealStages, leadEvents, leads, webhookDeliveries, amoSyncCursors, type Database } from '../src/db/index.js';
import { recomputeDeals } from '../src/analytics/rollup.js';
import { rebuildLeads } from '../src/analytics/lead-rollup.js';

const t = (iso: string) => new Date(iso);
const touch = (source: string, medium: string, campaign?: string) => ({
  utm_source: source,
  utm_medium: medium,
  ...(campaign ? { utm_campaign: campaign } : {}),
});

export const LEAD = {
  L1: '00000000-0000-4000-8000-000000000001',
  L2: '00000000-0000-4000-8000-000000000002',
  L3: '00000000-0000-4000-8000-000000000003',
  L4: '00000000-0000-4000-8000-000000000004',
  L5: '00000000-0000-4000-8000-000000000005',
  L6: '00000000-0000-4000-8000-000000000006',
  L7: '00000000-0000-4000-8000-000000000007',
  L8: '00000000-0000-4000-8000-000000000008',
  L9: '00000000-0000-4000-8000-000000000009',
  L10: '00000000-0000-4000-8000-000000000010',
} as const;

export async function insertAnalyticsFixture(db: Database): Promise<void> {
  const G = touch('google', 'cpc', 'spring');
  const Y = touch('yandex', 'cpc', 'winter');
  const d = t('2026-03-04T10:00:00Z');
  await db.insert(leads).values([
    // last touch google/cpc/spring, first touch yandex/cpc/winter → deal D1 (won 1000, commission 100)
    { id: LEAD.L1, formKey: 'default', status: 'delivered', name: 'Иван Петров', phone: '+79120000001', email: 'ivan@example.ru', createdAt: d, amoLeadId: 1, responsibleUserId: 501, attribution: { ...G, first_touch: Y, last_touch: G }, consent: { given: true, text_version: 'v1' } },
    // last google/cpc/spring, first google/organic (no campaign) → D2 (lost)
    { id: LEAD.L2, formKey: 'default', status: 'delivered', name: 'Мария', phone: '+79120000002', createdAt: d, amoLeadId: 2, attribution: { ...G, first_touch: touch('google', 'organic'), last_touch: G } },
    // yandex/cpc/winter both → D3 (open)
    { id: LEAD.L3, formKey: 'default', status: 'delivered', phone: '+79120000003', createdAt: d, amoLeadId: 3, attribution: { ...Y, first_touch: Y, last_touch: Y } },
    // last yandex/cpc/winter, first google/cpc/spring → D4 (won 2000, commission "1 500")
    { id: LEAD.L4, formKey: 'fitzone', status: 'delivered', phone: '+79120000004', createdAt: d, amoLeadId: 4, attribution: { ...Y, first_touch: G, last_touch: Y } },
    // flat utm only (no touch records): google/cpc/spring for both touches; delivery failed (validation)
    { id: LEAD.L5, formKey: 'default', status: 'failed', phone: '+79120000005', createdAt: d, attribution: { ...G }, lastError: { reason: 'validation', message: 'bad field' } },
    // spam: never counted
    { id: LEAD.L6, formKey: 'default', status: 'spam', phone: '+79120000006', createdAt: d, attribution: { ...G } },
    // before the range (and before the 30 days of the overview)
    { id: LEAD.L7, formKey: 'default', status: 'delivered', phone: '+79120000007', createdAt: t('2026-02-01T10:00:00Z'), amoLeadId: 5, attribution: { ...G } },
    // today (UTC and Moscow)
    { id: LEAD.L8, formKey: 'default', status: 'pending', phone: '+79120000008', createdAt: t('2026-03-20T09:00:00Z'), attribution: { ...Y } },
    // dead after three failed attempts
    { id: LEAD.L9, formKey: 'default', status: 'dead', phone: '+79120000009', createdAt: t('2026-03-15T10:00:00Z'), attempts: 3, attribution: { ...Y }, lastError: { reason: 'server_500', message: 'amoCRM 500' } },
    // 2026-03-20 01:30 in Moscow, still 03-19 in UTC; no UTM
    { id: LEAD.L10, formKey: 'default', status: 'pending', phone: '+79120000010', createdAt: t('2026-03-19T22:30:00Z') },
  ]);
  await db.insert(leadEvents).values([
    { leadId: LEAD.L1, type: 'captured', at: d, detail: {} },
    { leadId: LEAD.L1, type: 'delivered', at: t('2026-03-04T10:00:05Z'), detail: { amo_lead_id: 1 } },
    { leadId: LEAD.L5, type: 'attempt_failed', at: t('2026-03-04T10:00:05Z'), detail: { reason: 'validation', attempt: 1 } },
    { leadId: LEAD.L9, type: 'attempt_failed', at: t('2026-03-15T10:00:05Z'), detail: { reason: 'timeout', attempt: 1 } },
    { leadId: LEAD.L9, type: 'attempt_failed', at: t('2026-03-16T10:00:05Z'), detail: { reason: 'timeout', attempt: 2 } },
    { leadId: LEAD.L9, type: 'attempt_failed', at: t('2026-03-17T10:00:05Z'), detail: { reason: 'server_500', attempt: 3 } },
    // outside the range
    { leadId: LEAD.L7, type: 'attempt_failed', at: t('2026-02-01T10:00:05Z'), detail: { reason: 'timeout', attempt: 1 } },
  ]);
  const c = t('2026-03-05T00:00:00Z');
  await db.insert(amoDeals).values([
    { amoLeadId: 1, leadId: LEAD.L1, pipelineId: 100, statusId: 142, responsibleUserId: 501, price: 1000, isWon: true, amoCreatedAt: c, fields: { commission: 100 } },
    { amoLeadId: 2, leadId: LEAD.L2, pipelineId: 100, statusId: 143, responsibleUserId: 501, price: 500, isLost: true, amoCreatedAt: c, fields: { commission: 50 } },
    { amoLeadId: 3, leadId: LEAD.L3, pipelineId: 100, statusId: 10, responsibleUserId: 502, price: 700, amoCreatedAt: t('2026-03-10T00:00:00Z') },
    { amoLeadId: 4, leadId: LEAD.L4, pipelineId: 100, statusId: 142, responsibleUserId: 502, price: 2000, isWon: true, amoCreatedAt: c, fields: { commission: '1 500' } },
    // created before the range: not in the funnel or the managers table
    { amoLeadId: 5, leadId: LEAD.L7, pipelineId: 100, statusId: 142, responsibleUserId: 501, price: 9999, isWon: true, amoCreatedAt: t('2026-02-01T00:00:00Z') },
    // another pipeline, no lead of ours
    { amoLeadId: 6, pipelineId: 200, statusId: 300, responsibleUserId: 503, price: 300, amoCreatedAt: t('2026-03-06T00:00:00Z') },
    // deleted: ignored everywhere
    { amoLeadId: 7, pipelineId: 100, statusId: 142, responsibleUserId: 501, price: 5000, isWon: true, isDeleted: true, amoCreatedAt: c },
  ]);
  const s = (amoLeadId: number, pipelineId: number, statusId: number, from: string, to: string | null) => ({
    amoLeadId,
    pipelineId,
    statusId,
    enteredAt: t(from),
    leftAt: to ? t(to) : null,
    source: 'webhook',
  });
  await db.insert(amoDealStages).values([
    // D1: 10 for 2 h, 20 for 24 h, then won
    s(1, 100, 10, '2026-03-05T00:00:00Z', '2026-03-05T02:00:00Z'),
    s(1, 100, 20, '2026-03-05T02:00:00Z', '2026-03-06T02:00:00Z'),
    s(1, 100, 142, '2026-03-06T02:00:00Z', null),
    // D2: 10 for 4 h, skips 20, 30 for 48 h, then lost
    s(2, 100, 10, '2026-03-05T00:00:00Z', '2026-03-05T04:00:00Z'),
    s(2, 100, 30, '2026-03-05T04:00:00Z', '2026-03-07T04:00:00Z'),
    s(2, 100, 143, '2026-03-07T04:00:00Z', null),
    // D3: in 10 since 03-10 00:00, open: 252 h until the clock
    s(3, 100, 10, '2026-03-10T00:00:00Z', null),
    // D4: 10 1 h, 20 6 h, back to 10 1 h, 20 24 h, won → 10 total 2 h, 20 total 30 h
    s(4, 100, 10, '2026-03-05T00:00:00Z', '2026-03-05T01:00:00Z'),
    s(4, 100, 20, '2026-03-05T01:00:00Z', '2026-03-05T07:00:00Z'),
    s(4, 100, 10, '2026-03-05T07:00:00Z', '2026-03-05T08:00:00Z'),
    s(4, 100, 20, '2026-03-05T08:00:00Z', '2026-03-06T08:00:00Z'),
    s(4, 100, 142, '2026-03-06T08:00:00Z', null),
    s(5, 100, 10, '2026-02-01T00:00:00Z', '2026-02-02T00:00:00Z'),
    s(5, 100, 142, '2026-02-02T00:00:00Z', null),
    s(6, 200, 300, '2026-03-06T00:00:00Z', null),
  ]);
  await db.insert(webhookDeliveries).values([
    { receivedAt: t('2026-03-18T11:30:00Z'), status: 'processed', body: 'z', bodyHash: 'h3', eventCount: 1, appliedCount: 1 },
    { receivedAt: t('2026-03-20T11:00:00Z'), status: 'processed', body: 'x', bodyHash: 'h1', eventCount: 2, appliedCount: 2 },
    { receivedAt: t('2026-03-20T11:30:00Z'), status: 'malformed', body: 'y', bodyHash: 'h2', errorCode: 'BAD_BODY' },
  ]);
  await db.insert(amoSyncCursors).values({ name: 'amo_events', cursor: 1773990000, detail: { events: 4, leads: 2 }, updatedAt: t('2026-03-20T11:55:00Z') });
  // The deal rollup a running `analytics_deals` consumer would have built from these rows' events.
  await recomputeDeals(db);
  // And the lead rollup (Sources) a running `analytics_leads` consumer would have built.
  await rebuildLeads(db, 'commission');
}
