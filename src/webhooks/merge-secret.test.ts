import { describe, expect, it } from 'vitest';
import { mergeObservations } from './process-delivery.js';
import { secretFrom, secretMatches } from './secret.js';
import type { DealObservation } from './types.js';

const obs = (o: Partial<DealObservation>): DealObservation => ({ amoLeadId: 1, kind: 'update', at: 100, stamped: true, source: 'webhook', ...o });

describe('mergeObservations', () => {
  it('merges items about one lead at one time (update + status) and keeps others apart', () => {
    const merged = mergeObservations([
      obs({ kind: 'update', price: 5, statusId: 10, pipelineId: 1 }),
      obs({ kind: 'status', statusId: 11, pipelineId: 1 }),
      obs({ amoLeadId: 2, kind: 'update' }),
      obs({ kind: 'update', at: 101 }),
    ]);
    expect(merged).toHaveLength(3);
    expect(merged[0]).toMatchObject({ amoLeadId: 1, kind: 'status', price: 5, statusId: 11, at: 100 });
  });

  it('never merges deletes, restores or items without an amoCRM time', () => {
    expect(mergeObservations([obs({ kind: 'update' }), obs({ kind: 'delete' })])).toHaveLength(2);
    expect(mergeObservations([obs({ stamped: false }), obs({ stamped: false })])).toHaveLength(2);
    expect(mergeObservations([obs({ kind: 'add', name: 'a' }), obs({ kind: 'update', name: 'b' })])).toEqual([obs({ kind: 'add', name: 'b' })]);
  });
});

describe('webhook secret', () => {
  it('matches only the exact secret, never an empty expected one', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    expect(secretMatches('abd', 'abc')).toBe(false);
    expect(secretMatches(undefined, 'abc')).toBe(false);
    expect(secretMatches('', '')).toBe(false);
  });

  it('reads the path first, then the query, then the header', () => {
    expect(secretFrom({ secret: 'p' }, { secret: 'q' }, 'h')).toBe('p');
    expect(secretFrom({}, { secret: 'q' }, 'h')).toBe('q');
    expect(secretFrom({}, {}, ['h', 'x'])).toBe('h');
    expect(secretFrom({}, { secret: '' }, undefined)).toBeUndefined();
  });
});
