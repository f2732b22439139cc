import { describe, expect, it } from 'vitest';
import { parseWebhook } from './index.js';
import type { WebhookEvent, WebhookEventOf } from './index.js';

function only<E extends WebhookEvent['entity']>(events: WebhookEvent[], entity: E): WebhookEventOf<E>[] {
  return events.filter((e): e is WebhookEventOf<E> => e.entity === entity);
}

describe('parseWebhook (JSON bodies)', () => {
  it('reads the same structure as JSON, with lists and real numbers', () => {
    const body = JSON.stringify({
      leads: {
        status: [
          {
            id: '1',
            status_id: 142,
            pipeline_id: '9',
            custom_fields: [
              { id: 5, values: [{ value: 'x', enum: 7 }] },
              { id: 6, values: [1542067200] },
              { id: 7, values: ['1'] },
              { id: 8, values: { value: 'Radio', enum: 9 } },
            ],
          },
        ],
        update: { '0': { id: 2, updated_at: 100 } },
      },
      task: { add: [{ id: 3, status: '0', complete_till: '2025-10-02 20:59:00' }] },
      account: { id: '17769199', subdomain: 'example', _links: { self: 'https://example.kommo.com' } },
    });
    const parsed = parseWebhook(body, 'application/json; charset=utf-8');
    expect(parsed.account).toEqual({ id: 17769199, subdomain: 'example', baseUrl: 'https://example.kommo.com' });
    expect(parsed.events.map((e) => `${e.entity}/${e.action}/${e.index}`)).toEqual([
      'lead/status/0',
      'lead/update/0',
      'task/add/0',
    ]);
    const [status] = only(parsed.events, 'lead');
    expect(status?.data).toEqual({
      id: 1,
      statusId: 142,
      pipelineId: 9,
      customFields: [
        { id: 5, values: [{ value: 'x', enum: 7 }] },
        { id: 6, values: [{ value: 1542067200 }] },
        { id: 7, values: [{ value: 1 }] },
        { id: 8, values: [{ value: 'Radio', enum: 9 }] },
      ],
    });
    expect(only(parsed.events, 'task')[0]?.data).toEqual({ id: 3, completed: false, completeTill: '2025-10-02 20:59:00' });
  });
});
