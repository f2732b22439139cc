import { useMemo } from 'react';
import { get, tz } from '../api.js';
import { Chart, ErrorNote, Stat, useData } from '../components.js';
import { dateTime, num } from '../format.js';
import { useI18n } from '../i18n.js';

interface Overview {
  leads: { today: number; last7d: number; last30d: number };
  statuses: Record<string, number>;
  perDay: { day: string; leads: number; delivered: number }[];
  webhooks: { lastReceivedAt: number | null; received24h: number; failed24h: number; pending: number };
  health: { amocrm?: { ok?: boolean; state?: string; account?: string }; queue?: { depth?: number }; error?: string };
  followups: { sent: number; failed: number } | null;
}

export function OverviewPage() {
  const { t, lang } = useI18n();
  const { data, error } = useData(() => get<Overview>('/api/analytics/overview', { tz }), []);
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { data: [t.leads, t.delivered], bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: (data?.perDay ?? []).map((d) => d.day.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t.leads, type: 'bar', data: (data?.perDay ?? []).map((d) => d.leads), itemStyle: { color: '#4c6ef5' } },
        { name: t.delivered, type: 'line', data: (data?.perDay ?? []).map((d) => d.delivered), itemStyle: { color: '#2f9e44' } },
      ],
    }),
    [data, t],
  );
  const s = data?.statuses ?? {};
  const amo = data?.health.amocrm;
  const queue = (s.pending ?? 0) + (s.delivering ?? 0) + (s.held ?? 0);
  return (
    <>
      <ErrorNote error={error} />
      <div className="stats">
        <Stat label={t.leadsToday} value={num(lang, data?.leads.today)} testId="leads-today" />
        <Stat label={t.leads7d} value={num(lang, data?.leads.last7d)} testId="leads-7d" />
        <Stat label={t.leads30d} value={num(lang, data?.leads.last30d)} testId="leads-30d" />
        <Stat label={t.delivered} value={num(lang, s.delivered ?? 0)} tone="good" testId="delivered" />
        <Stat label={t.failed} value={num(lang, s.failed ?? 0)} tone={(s.failed ?? 0) > 0 ? 'bad' : undefined} testId="failed" />
        <Stat label={t.dead} value={num(lang, s.dead ?? 0)} tone={(s.dead ?? 0) > 0 ? 'bad' : undefined} testId="dead" />
        <Stat label={t.queue} value={num(lang, queue)} hint={`${t.pending}: ${num(lang, s.pending ?? 0)}`} testId="queue" />
      </div>
      <div className="stats">
        <Stat
          label={t.amocrm}
          value={amo ? (amo.ok ? t.connected : t.notConnected) : '—'}
          hint={amo?.account ?? amo?.state}
          tone={amo ? (amo.ok ? 'good' : 'bad') : undefined}
          testId="amocrm"
        />
        <Stat
          label={t.webhooks}
          value={`${num(lang, data?.webhooks.received24h)} ${t.received24h}`}
          hint={`${t.lastWebhook}: ${data?.webhooks.lastReceivedAt ? dateTime(lang, data.webhooks.lastReceivedAt) : t.never} · ${t.errors24h}: ${num(lang, data?.webhooks.failed24h)}`}
          tone={(data?.webhooks.failed24h ?? 0) > 0 ? 'bad' : undefined}
          testId="webhooks"
        />
        <Stat
          label={t.followups}
          value={data?.followups ? `${num(lang, data.followups.sent)} ${t.sent}` : '—'}
          hint={data && !data.followups ? t.followupsAbsent : undefined}
          testId="followups"
        />
      </div>
      <section className="card">
        <div className="card-head">
          <h2>{t.leadsPerDay}</h2>
        </div>
        <Chart option={option} testId="leads-chart" />
      </section>
    </>
  );
}
