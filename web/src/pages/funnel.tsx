import { useMemo, useState } from 'react';
import { get, tz, url } from '../api.js';
import { Chart, DataTable, defaultRange, ErrorNote, RangePicker, Stat, useData } from '../components.js';
import { duration, num, pct } from '../format.js';
import { useI18n } from '../i18n.js';
import { useCatalog } from '../catalog.js';

interface Funnel {
  pipelineId: number | null;
  pipelineName?: string;
  deals: number;
  won: number;
  lost: number;
  winRate: number | null;
  stages: { statusId: number; name: string; reached: number; conversionFromPrevious: number | null; conversionFromFirst: number | null; medianSeconds: number | null }[];
}

export function FunnelPage() {
  const { t, lang } = useI18n();
  const catalog = useCatalog();
  const [range, setRange] = useState(defaultRange());
  const [pipeline, setPipeline] = useState<string>('');
  const params = { ...range, tz, pipeline: pipeline || undefined };
  const { data, error } = useData(() => get<Funnel>('/api/analytics/funnel', params), [JSON.stringify(params)]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 160, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: (data?.stages ?? []).map((s) => s.name) },
      series: [{ type: 'bar', data: (data?.stages ?? []).map((s) => s.reached), itemStyle: { color: '#4c6ef5' }, label: { show: true, position: 'right' } }],
    }),
    [data],
  );
  return (
    <>
      <div className="filters">
        <label>
          {t.pipeline}
          <select value={pipeline || String(data?.pipelineId ?? '')} onChange={(e) => setPipeline(e.target.value)} data-testid="funnel-pipeline">
            {(catalog?.pipelines ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <ErrorNote error={error} />
      <div className="stats">
        <Stat label={t.deals} value={num(lang, data?.deals)} testId="funnel-deals" />
        <Stat label={t.won} value={num(lang, data?.won)} tone="good" testId="funnel-won" />
        <Stat label={t.lost} value={num(lang, data?.lost)} testId="funnel-lost" />
        <Stat label={t.winRate} value={pct(lang, data?.winRate)} />
      </div>
      <section className="card">
        <Chart option={option} height={Math.max(160, (data?.stages.length ?? 4) * 44)} testId="funnel-chart" />
      </section>
      <DataTable
        testId="funnel-table"
        rows={data?.stages}
        rowKey={(s) => String(s.statusId)}
        csvHref={url('/api/analytics/funnel', { ...params, format: 'csv' })}
        columns={[
          { key: 'stage', title: t.stage, render: (s) => s.name },
          { key: 'reached', title: t.reached, render: (s) => num(lang, s.reached), align: 'right' },
          { key: 'conv', title: t.conversion, render: (s) => pct(lang, s.conversionFromPrevious), align: 'right' },
          { key: 'median', title: t.medianTime, render: (s) => duration(lang, s.medianSeconds), align: 'right' },
        ]}
      />
    </>
  );
}
