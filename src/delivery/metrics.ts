// Delivery metrics on the shared Prometheus registry (get-or-create, so several workers in one process share them).
import type { Counter, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram } from '../metrics.js';

export interface DeliveryMetrics {
  delivered: Counter<'mode' | 'contact'>;
  failed: Counter<'kind' | 'reason'>;
  dead: Counter<string>;
  held: Counter<'reason'>;
  batchSize: Histogram<string>;
  submitToDeal: Histogram<string>;
  requests: Counter<'call'>;
}

export function deliveryMetrics(registry: Registry): DeliveryMetrics {
  return {
    delivered: counter(registry, { name: 'leadbridge_delivery_delivered_total', help: 'Leads delivered into amoCRM', labelNames: ['mode', 'contact'] }),
    failed: counter(registry, { name: 'leadbridge_delivery_failed_total', help: 'Failed delivery attempts by kind (transient/permanent/hold) and reason', labelNames: ['kind', 'reason'] }),
    dead: counter(registry, { name: 'leadbridge_delivery_dead_total', help: 'Leads that exhausted max_attempts' }),
    held: counter(registry, { name: 'leadbridge_delivery_held_total', help: 'Batches held (reconnect, circuit, payment) without burning attempts', labelNames: ['reason'] }),
    batchSize: histogram(registry, { name: 'leadbridge_delivery_batch_size', help: 'Leads per claimed batch', buckets: [1, 2, 5, 10, 20, 30, 40, 50] }),
    submitToDeal: histogram(registry, { name: 'leadbridge_delivery_submit_to_deal_seconds', help: 'From lead capture to the deal existing in amoCRM', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600] }),
    requests: counter(registry, { name: 'leadbridge_delivery_amo_calls_total', help: 'amoCRM calls made by delivery (complex, notes, search, lookup)', labelNames: ['call'] }),
  };
}

/**
 * `leadbridge_leads{status}`: leads by status, read from the database at scrape time, so an alert on
 * `leadbridge_leads{status=~"failed|dead"} > 0` fires while any lead needs a person (and clears after replay).
 */
export function leadStatusGauge(registry: Registry, counts: () => Promise<Record<string, number>>): void {
  // The first caller's `counts` is the one scraped (several workers in one process read the same table).
  gauge(registry, {
    name: 'leadbridge_leads',
    help: 'Leads by delivery status (pending, delivering, held, delivered, failed, dead, spam), read at scrape time',
    labelNames: ['status'],
    async collect() {
      const c = await counts();
      this.reset();
      for (const status of ['pending', 'delivering', 'held', 'delivered', 'failed', 'dead', 'spam']) this.set({ status }, c[status] ?? 0);
    },
  });
}
