// Prometheus metrics on ONE shared registry (main.ts creates it; GET /metrics in src/http serves it). Every module
// gets-or-creates its metrics by name here, so two modules (or two workers, or two apps in one test process) on one
// registry share a metric instead of failing to register it twice. prom-client only: no Fastify.
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

export type { Registry };

export function createMetricsRegistry(): Registry {
  return new Registry();
}

/** The counter named `config.name` on `registry`, created on first use. */
export function counter<L extends string = string>(registry: Registry, config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter({ ...config, registers: [registry] });
}

/** The gauge named `config.name` on `registry`, created on first use (a `collect` runs at scrape time). */
export function gauge<L extends string = string>(registry: Registry, config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return (registry.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] });
}

/** The histogram named `config.name` on `registry`, created on first use. */
export function histogram<L extends string = string>(registry: Registry, config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
  return (registry.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram({ ...config, registers: [registry] });
}
