import { useMemo, useState } from 'react';
import { get, tz, url } from '../api.js';
import { Chart, DataTable, defaultRange, ErrorNote, RangePicker, useData } from '../components.js';
import { num, pct } from '../format.js';
import { useI18n } from '../i18n.js';

interface SourceRow {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  leads: number;
  deals: number;
  won: number;
  revenue: number;
  commission: number;
  conversion: number | null;
  revenuePerLead: number | null;
}

export function SourcesPage() {
  const { t, lang } = useI18n();
  const [range, setRange] = useState(defaultRange());
  const [touch, setTouch] = useState<'first' | 'last'>('last');
  const [level, setLevel] = useState<'source' | 'medium' | 'campaign'>('campaign');
  const params = { ...range, tz, touch, level };
  const { data, error } = useData(() => get<{ rows: SourceRow[] }>('/api/analytics/sources', params), [JSON.stringify(params)]);
  const label = (r: SourceRow) => [r.source ?? t.none, r.medium, r.campaign].filter((x) => x !== null).join(' / ');
  const option = useMemo(() => {
    const top = (data?.rows ?? []).slice(0, 10);
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: [t.leads, t.revenue], bottom: 0 },
      grid: { left: 56, right: 56, top: 16, bottom: 72 },
      xAxis: { type: 'category', data: top.map(label), axisLabel: { interval: 0, rotate: 20 } },
      yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value' }],
      series: [
        { name: t.leads, type: 'bar', data: top.map((r) => r.leads), itemStyle: { color: '#4c6ef5' } },
        { name: t.revenue, type: 'bar', yAxisIndex: 1, data: top.map((r) => r.revenue), itemStyle: { color: '#2f9e44' } },
      ],
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, t]);
  return (
    <>
      <div className="filters">
        <label>
          {t.touch}
          <select value={touch} onChange={(e) => setTouch(e.target.value as 'first' | 'last')} data-testid="sources-touch">
            <option value="first">{t.firstTouch}</option>
            <option value="last">{t.lastTouch}</option>
          </select>
        </label>
        <label>
          {t.level}
          <select value={level} onChange={(e) => setLevel(e.target.value as 'source')} data-testid="sources-level">
            <option value="source">{t.source}</option>
            <option value="medium">
              {t.source} / {t.medium}
            </option>
            <option value="campaign">
              {t.source} / {t.medium} / {t.campaign}
            </option>
          </select>
        </label>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <ErrorNote error={error} />
      <section className="card">
        <Chart option={option} height={280} testId="sources-chart" />
      </section>
      <DataTable
        testId="sources-table"
        rows={data?.rows}
        rowKey={(r) => `${r.source}|${r.medium}|${r.campaign}`}
        csvHref={url('/api/analytics/sources', { ...params, format: 'csv' })}
        columns={[
          { key: 'source', title: t.source, render: (r) => r.source ?? t.none },
          ...(level !== 'source' ? [{ key: 'medium', title: t.medium, render: (r: SourceRow) => r.medium ?? t.none }] : []),
          ...(level === 'campaign' ? [{ key: 'campaign', title: t.campaign, render: (r: SourceRow) => r.campaign ?? t.none }] : []),
          { key: 'leads', title: t.leads, render: (r) => num(lang, r.leads), align: 'right' },
          { key: 'deals', title: t.deals, render: (r) => num(lang, r.deals), align: 'right' },
          { key: 'won', title: t.won, render: (r) => num(lang, r.won), align: 'right' },
          { key: 'revenue', title: t.revenue, render: (r) => num(lang, r.revenue, 2), align: 'right' },
          { key: 'commission', title: t.commission, render: (r) => num(lang, r.commission, 2), align: 'right' },
          { key: 'conv', title: t.conversion, render: (r) => pct(lang, r.conversion), align: 'right' },
          { key: 'rpl', title: t.revenuePerLead, render: (r) => num(lang, r.revenuePerLead, 2), align: 'right' },
        ]}
      />
    </>
  );
}
