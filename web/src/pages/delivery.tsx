import { useMemo, useState } from 'react';
import { get, post, tz, url } from '../api.js';
import { Chart, DataTable, defaultRange, ErrorNote, RangePicker, useData } from '../components.js';
import { dateTime, num } from '../format.js';
import { statusLabel, useI18n } from '../i18n.js';
import { Link } from '../router.js';

interface Delivery {
  failures: { reason: string; attempts: number; leads: number }[];
  stuck: { id: string; createdAt: number; formKey: string; status: string; attempts: number; reason: string | null; message: string | null }[];
  webhooks: { id: number; receivedAt: number; status: string; errorCode: string | null; eventCount: number | null; appliedCount: number | null }[];
  webhookCounts: Record<string, number>;
  reconcile: { name: string; cursor: number; detail: Record<string, unknown>; updatedAt: number }[];
}

export function DeliveryPage(props: { admin: boolean }) {
  const { t, lang } = useI18n();
  const [range, setRange] = useState(defaultRange());
  const [done, setDone] = useState<string[]>([]);
  const params = { ...range, tz };
  const { data, error, reload } = useData(() => get<Delivery>('/api/analytics/delivery', params), [JSON.stringify(params)]);
  const csv = (table: string) => url('/api/analytics/delivery', { ...params, table, format: 'csv' });
  const replay = async (id: string) => {
    await post(`/api/dashboard/leads/${id}/replay`);
    setDone([...done, id]);
    reload();
  };
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 140, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: (data?.failures ?? []).map((f) => f.reason) },
      series: [{ type: 'bar', data: (data?.failures ?? []).map((f) => f.attempts), itemStyle: { color: '#e03131' } }],
    }),
    [data],
  );
  return (
    <>
      <div className="filters">
        <RangePicker value={range} onChange={setRange} />
      </div>
      <ErrorNote error={error} />
      {done.length ? <p className="ok" data-testid="replay-done">{`${t.replayed}: ${done.length}`}</p> : null}
      <div className="grid2">
        <DataTable
          title={t.failuresByReason}
          testId="failures-table"
          rows={data?.failures}
          rowKey={(r) => r.reason}
          csvHref={csv('failures')}
          columns={[
            { key: 'reason', title: t.reason, render: (r) => r.reason },
            { key: 'attempts', title: t.attempts, render: (r) => num(lang, r.attempts), align: 'right' },
            { key: 'leads', title: t.leads, render: (r) => num(lang, r.leads), align: 'right' },
          ]}
        />
        <section className="card">{data?.failures.length ? <Chart option={option} height={Math.max(140, data.failures.length * 36)} /> : <p className="muted">{t.nothing}</p>}</section>
      </div>
      <DataTable
        title={t.stuckLeads}
        testId="stuck-table"
        rows={data?.stuck}
        rowKey={(r) => r.id}
        csvHref={csv('stuck')}
        columns={[
          { key: 'created', title: t.created, render: (r) => <Link to={`/leads/${r.id}`}>{dateTime(lang, r.createdAt)}</Link> },
          { key: 'form', title: t.form, render: (r) => r.formKey },
          { key: 'status', title: t.status, render: (r) => <span className={`badge s-${r.status}`}>{statusLabel(t, r.status)}</span> },
          { key: 'attempts', title: t.attempts, render: (r) => r.attempts, align: 'right' },
          { key: 'reason', title: t.reason, render: (r) => r.reason ?? '—' },
          ...(props.admin
            ? [
                {
                  key: 'replay',
                  title: '',
                  render: (r: Delivery['stuck'][number]) => (
                    <button className="button small" onClick={() => void replay(r.id)} data-testid={`replay-${r.id}`}>
                      {t.replay}
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
      <div className="grid2">
        <DataTable
          title={t.webhookDeliveries}
          testId="webhooks-table"
          rows={data?.webhooks}
          rowKey={(r) => String(r.id)}
          csvHref={csv('webhooks')}
          columns={[
            { key: 'at', title: t.received, render: (r) => dateTime(lang, r.receivedAt) },
            { key: 'status', title: t.status, render: (r) => <span className={`badge w-${r.status}`}>{r.status}</span> },
            { key: 'events', title: t.events, render: (r) => `${r.appliedCount ?? 0} / ${r.eventCount ?? 0}`, align: 'right' },
            { key: 'err', title: t.reason, render: (r) => r.errorCode ?? '' },
          ]}
        />
        <DataTable
          title={t.reconcile}
          testId="reconcile-table"
          rows={data?.reconcile}
          rowKey={(r) => r.name}
          csvHref={csv('reconcile')}
          columns={[
            { key: 'name', title: 'cursor', render: (r) => r.name },
            { key: 'at', title: t.lastRun, render: (r) => dateTime(lang, r.updatedAt) },
            { key: 'detail', title: '', render: (r) => <code>{JSON.stringify(r.detail)}</code> },
          ]}
        />
      </div>
    </>
  );
}
