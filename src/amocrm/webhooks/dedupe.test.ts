import { describe, expect, it } from 'vitest';
import { dedupeKey, parseWebhook } from './index.js';
import { wire } from '../../../test/amo-webhooks.js';
import type { WebhookEvent } from './index.js';

const FORM = 'application/x-www-form-urlencoded';


describe('dedupeKey', () => {
  const parse = (s: string): WebhookEvent[] => parseWebhook(wire(s), FORM).events;

  it('is stable across deliveries and uses updated_at', () => {
    const a = parse('leads[update][0][id]=1\nleads[update][0][updated_at]=100\nleads[update][0][name]=A');
    const b = parse('leads[update][3][id]=1\nleads[update][3][updated_at]=100\nleads[update][3][name]=A');
    expect(dedupeKey(a[0]!)).toBe('lead:1:update:100');
    expect(dedupeKey(b[0]!)).toBe(dedupeKey(a[0]!));
  });

  it('separates different updates, actions and stage moves of one lead', () => {
    const keys = parse(`
leads[update][0][id]=1
leads[update][0][updated_at]=100
leads[update][1][id]=1
leads[update][1][updated_at]=101
leads[status][0][id]=1
leads[status][0][updated_at]=101
leads[status][0][status_id]=142
leads[status][1][id]=1
leads[status][1][updated_at]=101
leads[status][1][status_id]=143
`).map(dedupeKey);
    expect(new Set(keys).size).toBe(4);
  });

  it('falls back to a content hash when the item has no timestamp (Digital Pipeline hooks)', () => {
    const [a, b, c] = parse(`
leads[status][0][id]=1
leads[status][0][status_id]=10
leads[status][1][id]=1
leads[status][1][status_id]=11
leads[status][2][id]=1
leads[status][2][status_id]=10
`);
    expect(dedupeKey(a!)).toMatch(/^lead:1:status:#[0-9a-f]{16}$/);
    expect(dedupeKey(a!)).not.toBe(dedupeKey(b!));
    expect(dedupeKey(a!)).toBe(dedupeKey(c!));
  });

  it('uses task last_modified strings and unknown keys', () => {
    const [task, unknown] = parse(`
task[update][0][id]=9
task[update][0][last_modified]=2024-09-18 10:00:00
things[x][0][a]=1
`);
    expect(dedupeKey(task!)).toBe('task:9:update:2024-09-18 10%3A00%3A00');
    expect(dedupeKey(unknown!)).toMatch(/^unknown\/things::x:#/);
  });
});
