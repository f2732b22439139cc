import { useState } from 'react';
import { get, tz, url } from '../api.js';
import { DataTable, defaultRange, ErrorNote, RangePicker, useData } from '../components.js';
import { duration, num, pct } from '../format.js';
import { useI18n } from '../i18n.js';

interface ManagerRow {
  manager: number | null;
  name: string | null;
  assigned: number;
  won: number;
  lost: number;
  revenue: number;
  winRate: number | null;
  medianFirstChangeSeconds: number | null;
}

export function ManagersPage() {
  const { t, lang } = useI18n();
  const [range, setRange] = useState(defaultRange());
  const params = { ...range, tz };
  const { data, error } = useData(() => get<{ rows: ManagerRow[] }>('/api/analytics/managers', params), [JSON.stringify(params)]);
  return (
    <>
      <div className="filters">
        <RangePicker value={range} onChange={setRange} />
      </div>
      <ErrorNote error={error} />
      <DataTable
        testId="managers-table"
        rows={data?.rows}
        rowKey={(r) => String(r.manager)}
        csvHref={url('/api/analytics/managers', { ...params, format: 'csv' })}
        columns={[
          { key: 'name', title: t.manager, render: (r) => r.name ?? (r.manager === null ? t.none : `#${r.manager}`) },
          { key: 'assigned', title: t.assigned, render: (r) => num(lang, r.assigned), align: 'right' },
          { key: 'won', title: t.won, render: (r) => num(lang, r.won), align: 'right' },
          { key: 'lost', title: t.lost, render: (r) => num(lang, r.lost), align: 'right' },
          { key: 'rate', title: t.winRate, render: (r) => pct(lang, r.winRate), align: 'right' },
          { key: 'revenue', title: t.revenue, render: (r) => num(lang, r.revenue, 2), align: 'right' },
          { key: 'median', title: t.medianFirstChange, render: (r) => duration(lang, r.medianFirstChangeSeconds), align: 'right' },
        ]}
      />
    </>
  );
}
