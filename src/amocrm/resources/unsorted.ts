// Unsorted (incoming) leads (fact sheet §7.11). Only `forms` and `sip` can be created through the API.
import { Resource, embedded, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { Unsorted, UnsortedFormInput } from '../types.js';
import { BATCH_SIZE } from './common.js';
import { chunk } from '../query.js';

export interface UnsortedListQuery {
  page?: number;
  limit?: number;
  uid?: string | string[];
  category?: Unsorted['category'][];
  pipelineId?: number;
  order?: { created_at?: 'asc' | 'desc'; updated_at?: 'asc' | 'desc' };
}

/** Answer of accept/decline: the entities now in the pipeline (or the trash). */
export interface UnsortedActionResult {
  uid: string;
  pipeline_id?: number;
  category?: string;
  created_at?: number;
  _embedded: { leads: { id: number }[]; contacts: { id: number }[]; companies: { id: number }[] };
}

export class UnsortedResource extends Resource {
  /** POST /api/v4/leads/unsorted/forms; `source_uid`, `source_name`, `metadata` are required. */
  async createForms(items: readonly UnsortedFormInput[], opts?: RequestOptions): Promise<Unsorted[]> {
    const out: Unsorted[] = [];
    for (const part of chunk(items, BATCH_SIZE)) {
      const data = await this.t.request<unknown>('POST', '/api/v4/leads/unsorted/forms', { body: part, ...(opts ? { opts } : {}) });
      out.push(...embedded<Unsorted>(data, 'unsorted'));
    }
    return out;
  }

  /** POST /api/v4/leads/unsorted/{uid}/accept `{user_id?, status_id?}`. */
  async accept(uid: string, body: { user_id?: number; status_id?: number } = {}, opts?: RequestOptions): Promise<UnsortedActionResult | null> {
    return this.t.request<UnsortedActionResult>('POST', path`/api/v4/leads/unsorted/${uid}/accept`, { body, ...(opts ? { opts } : {}) });
  }

  /** DELETE /api/v4/leads/unsorted/{uid}/decline with a JSON body `{user_id?}`. */
  async decline(uid: string, body: { user_id?: number } = {}, opts?: RequestOptions): Promise<UnsortedActionResult | null> {
    return this.t.request<UnsortedActionResult>('DELETE', path`/api/v4/leads/unsorted/${uid}/decline`, { body, ...(opts ? { opts } : {}) });
  }

  list(q?: UnsortedListQuery, opts?: RequestOptions): Promise<ListPage<Unsorted>> {
    const filter = {
      ...(q?.uid !== undefined ? { uid: q.uid } : {}),
      ...(q?.category?.length ? { category: q.category } : {}),
      ...(q?.pipelineId !== undefined ? { pipeline_id: q.pipelineId } : {}),
    };
    return this.t.list<Unsorted>(
      '/api/v4/leads/unsorted',
      'unsorted',
      {
        ...(q?.page !== undefined ? { page: q.page } : {}),
        ...(q?.limit !== undefined ? { limit: q.limit } : {}),
        ...(Object.keys(filter).length ? { filter } : {}),
        ...(q?.order ? { order: { ...q.order } } : {}),
      },
      opts,
    );
  }

  /** GET /api/v4/leads/unsorted/{uid}; null on 204. */
  get(uid: string, opts?: RequestOptions): Promise<Unsorted | null> {
    return this.t.request<Unsorted>('GET', path`/api/v4/leads/unsorted/${uid}`, opts ? { opts } : {});
  }
}
