import { Resource, type ListPage } from '../core.js';
import { chunk, path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { BatchResultItem, ComplexLeadInput, ComplexResultItem, Lead, LeadInput } from '../types.js';
import { batchWrite, toParams, type ListQuery } from './common.js';

export type LeadWith = 'contacts' | 'loss_reason' | 'catalog_elements' | 'is_price_modified_by_robot' | 'only_deleted' | 'source_id';

/** `/leads/complex` allows at most 50 leads per request (fact sheet §7.2). */
export const COMPLEX_BATCH_SIZE = 50;

export class LeadsResource extends Resource {
  /** GET /api/v4/leads (filter/query/with/order/page/limit). 204 → empty page. */
  list(query?: ListQuery, opts?: RequestOptions): Promise<ListPage<Lead>> {
    return this.t.list<Lead>('/api/v4/leads', 'leads', toParams(query), opts);
  }

  /** Every lead matching `query`, following `_links.next`. */
  iterate(query?: ListQuery, opts?: RequestOptions): AsyncGenerator<Lead, void, undefined> {
    return this.t.iterate<Lead>('/api/v4/leads', 'leads', toParams(query), opts);
  }

  /** GET /api/v4/leads/{id}; null when amoCRM answers 204 (no such lead). */
  get(id: number, params?: { with?: LeadWith[] }, opts?: RequestOptions): Promise<Lead | null> {
    return this.t.request<Lead>('GET', path`/api/v4/leads/${id}`, {
      ...(params?.with?.length ? { query: { with: params.with } } : {}),
      ...(opts ? { opts } : {}),
    });
  }

  /** POST /api/v4/leads in chunks of 50. Match results by `request_id`, not position. */
  create(items: readonly LeadInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'POST', '/api/v4/leads', 'leads', items, opts);
  }

  /** PATCH /api/v4/leads (each item carries `id`). */
  update(items: readonly LeadInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'PATCH', '/api/v4/leads', 'leads', items, opts);
  }

  /** PATCH /api/v4/leads/{id} with a single object; returns `{id, updated_at}`. */
  async updateOne(id: number, patch: Omit<LeadInput, 'id'>, opts?: RequestOptions): Promise<BatchResultItem> {
    const data = await this.t.request<BatchResultItem>('PATCH', path`/api/v4/leads/${id}`, {
      body: patch,
      ...(opts ? { opts } : {}),
    });
    return data ?? { id, request_id: '' };
  }

  /**
   * POST /api/v4/leads/complex (lead + contact + company, duplicate control). The answer is a bare array whose
   * `request_id` is an ARRAY (merged inputs share one lead). Use `complexResultsByRequestId` to match inputs.
   */
  async createComplex(items: readonly ComplexLeadInput[], opts?: RequestOptions): Promise<ComplexResultItem[]> {
    const out: ComplexResultItem[] = [];
    for (const part of chunk(items, COMPLEX_BATCH_SIZE)) {
      const data = await this.t.request<ComplexResultItem[]>('POST', '/api/v4/leads/complex', {
        body: part,
        ...(opts ? { opts } : {}),
      });
      if (Array.isArray(data)) out.push(...data);
    }
    return out;
  }
}

/** Map every request_id of a complex answer to its result (several ids may point to one merged lead). */
export function complexResultsByRequestId(results: readonly ComplexResultItem[]): Map<string, ComplexResultItem> {
  const map = new Map<string, ComplexResultItem>();
  for (const r of results) {
    const ids = Array.isArray(r.request_id) ? r.request_id : [r.request_id];
    for (const id of ids) map.set(String(id), r);
  }
  return map;
}
