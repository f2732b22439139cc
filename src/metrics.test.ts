import { describe, expect, it } from 'vitest';
import { counter, createMetricsRegistry, gauge, histogram } from './metrics.js';

describe('metrics', () => {
  it('gets a metric by name instead of registering it twice', async () => {
    const registry = createMetricsRegistry();
    const a = counter(registry, { name: 'test_total', help: 'a counter', labelNames: ['kind'] });
    const b = counter(registry, { name: 'test_total', help: 'a counter', labelNames: ['kind'] });
    expect(b).toBe(a);
    a.inc({ kind: 'x' });
    b.inc({ kind: 'x' });
    expect(await registry.getSingleMetricAsString('test_total')).toContain('test_total{kind="x"} 2');
    expect(histogram(registry, { name: 'test_seconds', help: 'h' })).toBe(histogram(registry, { name: 'test_seconds', help: 'h' }));
    expect(gauge(registry, { name: 'test_gauge', help: 'g' })).toBe(gauge(registry, { name: 'test_gauge', help: 'g' }));
  });

  it('keeps registries apart', () => {
    const one = createMetricsRegistry();
    const two = createMetricsRegistry();
    expect(counter(one, { name: 'test_total', help: 'c' })).not.toBe(counter(two, { name: 'test_total', help: 'c' }));
  });
});
