// Webhook subscriptions (fact sheet §7.14): admin only; POST upserts by exact destination; DELETE takes a body.
import { Resource } from '../core.js';
import type { RequestOptions } from '../request.js';
import type { WebhookSetting, WebhookSubscription } from '../types.js';

export class WebhooksResource extends Resource {
  async list(filter?: { destination?: string }, opts?: RequestOptions): Promise<WebhookSubscription[]> {
    const page = await this.t.list<WebhookSubscription>(
      '/api/v4/webhooks',
      'webhooks',
      filter?.destination ? { filter: { destination: filter.destination } } : undefined,
      opts,
    );
    return page.items;
  }

  /** POST /api/v4/webhooks — creates, or updates (and re-enables) the hook with the same destination. */
  async subscribe(
    input: { destination: string; settings: WebhookSetting[]; sort?: number },
    opts?: RequestOptions,
  ): Promise<WebhookSubscription> {
    const data = await this.t.request<WebhookSubscription>('POST', '/api/v4/webhooks', { body: input, ...(opts ? { opts } : {}) });
    if (!data) throw new TypeError('amoCRM returned an empty webhook subscription');
    return data;
  }

  /** DELETE /api/v4/webhooks with body `{destination}` (204; 404 when unknown). */
  async unsubscribe(destination: string, opts?: RequestOptions): Promise<void> {
    await this.t.request('DELETE', '/api/v4/webhooks', { body: { destination }, ...(opts ? { opts } : {}) });
  }
}
