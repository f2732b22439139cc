import { useState } from 'react';
import { get, tz, url } from '../api.js';
import { DataTable, ErrorNote, useData, type Column } from '../components.js';
import { dateTime } from '../format.js';
import { statusLabel, useI18n } from '../i18n.js';
import { Link } from '../router.js';
import { useCatalog } from '../catalog.js';

export interface LeadRow {
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

const STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'dead', 'held', 'spam'];

export function LeadsPage(props: { personal: boolean }) {
  const { t, lang } = useI18n();
  const catalog = useCatalog();
  const [f, setF] = useState({ q: '', form: '', source: '', status: '', manager: '', from: '', to: '' });
  const [limit, setLimit] = useState(50);
  const params = { ...f, tz, limit };
  const { data, error } = useData(() => get<{ items: LeadRow[]; hasMore: boolean }>('/api/analytics/leads', params), [JSON.stringify(params)]);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const managers = Object.entries(catalog?.users ?? {});
  const columns: Column<LeadRow>[] = [
    { key: 'created', title: t.created, render: (r) => <Link to={`/leads/${r.id}`}>{dateTime(lang, r.createdAt)}</Link> },
    { key: 'form', title: t.form, render: (r) => r.formKey },
    { key: 'status', title: t.status, render: (r) => <span className={`badge s-${r.status}`}>{statusLabel(t, r.status)}</span> },
    ...(props.personal
      ? [
          { key: 'name', title: t.name, render: (r: LeadRow) => r.name ?? '—' },
          { key: 'phone', title: t.phone, render: (r: LeadRow) => r.phone ?? '—' },
        ]
      : []),
    { key: 'source', title: t.source, render: (r) => [r.utmSource, r.utmMedium, r.utmCampaign].filter(Boolean).join(' / ') || t.none },
    { key: 'manager', title: t.manager, render: (r) => (r.manager === null ? '—' : (catalog?.users[r.manager] ?? String(r.manager))) },
    { key: 'deal', title: t.deal, render: (r) => r.amoLeadId ?? '—', align: 'right' },
  ];
  return (
    <>
      <div className="filters">
        <label className="grow">
          {t.search}
          <input value={f.q} onChange={set('q')} placeholder={props.personal ? t.searchHint : t.searchHintViewer} data-testid="lead-search" />
        </label>
        <label>
          {t.status}
          <select value={f.status} onChange={set('status')} data-testid="lead-status">
            <option value="">{t.all}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(t, s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.form}
          <input value={f.form} onChange={set('form')} size={10} />
        </label>
        <label>
          {t.source}
          <input value={f.source} onChange={set('source')} size={10} placeholder="utm_source" />
        </label>
        <label>
          {t.manager}
          <select value={f.manager} onChange={set('manager')}>
            <option value="">{t.all}</option>
            {managers.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.from}
          <input type="date" value={f.from} onChange={set('from')} />
        </label>
        <label>
          {t.to}
          <input type="date" value={f.to} onChange={set('to')} />
        </label>
      </div>
      <ErrorNote error={error} />
      <DataTable testId="leads-table" columns={columns} rows={data?.items} rowKey={(r) => r.id} csvHref={url('/api/analytics/leads', { ...params, limit: 5000, format: 'csv' })} />
      {data?.hasMore ? (
        <button className="button ghost" onClick={() => setLimit(limit + 50)}>
          {t.more}
        </button>
      ) : null}
    </>
  );
}
