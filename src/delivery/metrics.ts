// Delivery metrics on the shared Prometheus registry (get-or-create, so several workers in one process share them).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DeliveryMetrics {
  delivered: Counter<'mode' | 'contact'>;
  failed: Counter<'kind' | 'reason'>;
  dead: Counter<string>;
  held: Counter<'reason'>;
  batchSize: Histogram<string>;
  submitToDeal: Histogram<string>;
  requests: Counter<'call'>;
}

function get<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function deliveryMetrics(registry: Registry): DeliveryMetrics {
  const registers = [registry];
  return {
    delivered: get(registry, 'leadbridge_delivery_delivered_total', () => new Counter({ name: 'leadbridge_delivery_delivered_total', help: 'Leads delivered into amoCRM', labelNames: ['mode', 'contact'], registers })),
    failed: get(registry, 'leadbridge_delivery_failed_total', () => new Counter({ name: 'leadbridge_delivery_failed_total', help: 'Failed delivery attempts by kind (transient/permanent/hold) and reason', labelNames: ['kind', 'reason'], registers })),
    dead: get(registry, 'leadbridge_delivery_dead_total', () => new Counter({ name: 'leadbridge_delivery_dead_total', help: 'Leads that exhausted max_attempts', registers })),
    held: get(registry, 'leadbridge_delivery_held_total', () => new Counter({ name: 'leadbridge_delivery_held_total', help: 'Batches held (reconnect, circuit, payment) without burning attempts', labelNames: ['reason'], registers })),
    batchSize: get(registry, 'leadbridge_delivery_batch_size', () => new Histogram({ name: 'leadbridge_delivery_batch_size', help: 'Leads per claimed batch', buckets: [1, 2, 5, 10, 20, 30, 40, 50], registers })),
    submitToDeal: get(registry, 'leadbridge_delivery_submit_to_deal_seconds', () => new Histogram({ name: 'leadbridge_delivery_submit_to_deal_seconds', help: 'From lead capture to the deal existing in amoCRM', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600], registers })),
    requests: get(registry, 'leadbridge_delivery_amo_calls_total', () => new Counter({ name: 'leadbridge_delivery_amo_calls_total', help: 'amoCRM calls made by delivery (complex, notes, search, lookup)', labelNames: ['call'], registers })),
  };
}

/**
 * `leadbridge_leads{status}`: leads by status, read from the database at scrape time, so an alert on
 * `leadbridge_leads{status=~"failed|dead"} > 0` fires while any lead needs a person (and clears after replay).
 */
export function leadStatusGauge(registry: Registry, counts: () => Promise<Record<string, number>>): void {
  if (registry.getSingleMetric('leadbridge_leads')) return;
  new Gauge({
    name: 'leadbridge_leads',
    help: 'Leads by delivery status (pending, delivering, held, delivered, failed, dead, spam), read at scrape time',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const c = await counts();
      this.reset();
      for (const status of ['pending', 'delivering', 'held', 'delivered', 'failed', 'dead', 'spam']) this.set({ status }, c[status] ?? 0);
    },
  });
}
