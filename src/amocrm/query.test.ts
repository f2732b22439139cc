import { describe, expect, it } from 'vitest';
import { buildQuery, chunk, path, withQuery } from './query.js';

describe('buildQuery', () => {
  it('builds PHP-style bracket keys', () => {
    const q = buildQuery({
      filter: { statuses: [{ pipeline_id: 1, status_id: 142 }], id: [5, 6], updated_at: { from: 10, to: 20 } },
      order: { updated_at: 'desc' },
      with: ['contacts', 'loss_reason'],
      page: 2,
      limit: 250,
      query: '+7 912',
      skip: undefined,
      none: null,
    });
    expect(q.split('&')).toEqual([
      'filter[statuses][0][pipeline_id]=1',
      'filter[statuses][0][status_id]=142',
      'filter[id][]=5',
      'filter[id][]=6',
      'filter[updated_at][from]=10',
      'filter[updated_at][to]=20',
      'order[updated_at]=desc',
      'with=contacts%2Closs_reason',
      'page=2',
      'limit=250',
      'query=%2B7%20912',
    ]);
  });

  it('encodes booleans as 1/0 and nested keys safely', () => {
    expect(buildQuery({ filter: { custom_fields_values: { 77: [true] }, 'a&b': false } })).toBe(
      'filter[custom_fields_values][77][]=1&filter[a%26b]=0',
    );
  });

  it('appends only a non-empty query', () => {
    expect(withQuery('/api/v4/leads')).toBe('/api/v4/leads');
    expect(withQuery('/api/v4/leads', { page: undefined })).toBe('/api/v4/leads');
    expect(withQuery('/api/v4/leads', { page: 1 })).toBe('/api/v4/leads?page=1');
  });
});

describe('path', () => {
  it('encodes every interpolated value', () => {
    expect(path`/api/v4/leads/${12}`).toBe('/api/v4/leads/12');
    expect(path`/api/v4/leads/unsorted/${'a/../b?x'}/accept`).toBe('/api/v4/leads/unsorted/a%2F..%2Fb%3Fx/accept');
    expect(() => path`/api/v4/leads/${'..'}`).toThrow(RangeError);
  });
});

describe('chunk', () => {
  it('splits into batches of 50 by default', () => {
    const parts = chunk(Array.from({ length: 120 }, (_, i) => i));
    expect(parts.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(chunk([], 50)).toEqual([]);
  });
});
