import { Resource } from '../core.js';
import type { RequestOptions } from '../request.js';
import type { Account } from '../types.js';

export type AccountWith =
  | 'amojo_id'
  | 'amojo_rights'
  | 'users_groups'
  | 'task_types'
  | 'version'
  | 'entity_names'
  | 'datetime_settings'
  | 'drive_url'
  | 'is_api_filter_enabled'
  | 'invoices_settings';

export type AccountInfo = Account & { amojo_id?: string; is_api_filter_enabled?: boolean; _embedded?: Record<string, unknown> };

export class AccountResource extends Resource {
  /** GET /api/v4/account — also the cheap "is this token alive" probe. */
  async get(withParams?: AccountWith[], opts?: RequestOptions): Promise<AccountInfo> {
    const data = await this.t.request<AccountInfo>('GET', '/api/v4/account', {
      ...(withParams?.length ? { query: { with: withParams } } : {}),
      ...(opts ? { opts } : {}),
    });
    if (!data) throw new TypeError('amoCRM returned an empty account');
    return data;
  }
}
