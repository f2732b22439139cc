// Shared pieces: a data table with CSV export, the date range, a chart, small hooks.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useI18n } from './i18n.js';
import { isoDay } from './format.js';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export function useData<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: Error | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(undefined)),
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

export interface Column<T> {
  key: string;
  title: string;
  render: (row: T) => ReactNode;
  align?: 'right';
}

export function DataTable<T>(props: { columns: Column<T>[]; rows: T[] | undefined; csvHref?: string; title?: string; testId?: string; rowKey: (r: T) => string }) {
  const { t } = useI18n();
  return (
    <section className="card" data-testid={props.testId}>
      <div className="card-head">
        {props.title ? <h2>{props.title}</h2> : <span />}
        {props.csvHref ? (
          <a className="button ghost" href={props.csvHref} download data-testid={props.testId ? `${props.testId}-csv` : undefined}>
            {t.exportCsv}
          </a>
        ) : null}
      </div>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th key={c.key} className={c.align === 'right' ? 'num' : undefined}>
                  {c.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows === undefined ? (
              <tr>
                <td colSpan={props.columns.length} className="muted">
                  {t.loading}
                </td>
              </tr>
            ) : props.rows.length === 0 ? (
              <tr>
                <td colSpan={props.columns.length} className="muted">
                  {t.nothing}
                </td>
              </tr>
            ) : (
              props.rows.map((r) => (
                <tr key={props.rowKey(r)}>
                  {props.columns.map((c) => (
                    <td key={c.key} className={c.align === 'right' ? 'num' : undefined}>
                      {c.render(r)}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export interface RangeValue {
  from: string;
  to: string;
}

export function defaultRange(): RangeValue {
  const now = Date.now();
  return { from: isoDay(now - 29 * 86400_000), to: isoDay(now) };
}

export function RangePicker(props: { value: RangeValue; onChange: (v: RangeValue) => void }) {
  const { t } = useI18n();
  return (
    <>
      <label>
        {t.from}
        <input type="date" value={props.value.from} onChange={(e) => props.onChange({ ...props.value, from: e.target.value })} data-testid="range-from" />
      </label>
      <label>
        {t.to}
        <input type="date" value={props.value.to} onChange={(e) => props.onChange({ ...props.value, to: e.target.value })} data-testid="range-to" />
      </label>
    </>
  );
}

export function Chart(props: { option: echarts.EChartsCoreOption; height?: number; testId?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts>(undefined);
  useEffect(() => {
    if (!el.current) return;
    chart.current = echarts.init(el.current);
    const onResize = () => chart.current?.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.current?.dispose();
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption({ animation: false, ...props.option }, true);
  }, [props.option]);
  return <div ref={el} style={{ width: '100%', height: props.height ?? 260 }} data-testid={props.testId} />;
}

export function Stat(props: { label: string; value: ReactNode; hint?: ReactNode; tone?: 'bad' | 'good'; testId?: string }) {
  return (
    <div className={`stat ${props.tone ?? ''}`} data-testid={props.testId}>
      <div className="stat-label">{props.label}</div>
      <div className="stat-value">{props.value}</div>
      {props.hint ? <div className="stat-hint">{props.hint}</div> : null}
    </div>
  );
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  return error ? <p className="error">{error.message}</p> : null;
}
