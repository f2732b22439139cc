import { Resource, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { BatchResultItem, Company, CompanyInput } from '../types.js';
import { batchWrite, toParams, type ListQuery } from './common.js';

export class CompaniesResource extends Resource {
  list(query?: ListQuery, opts?: RequestOptions): Promise<ListPage<Company>> {
    return this.t.list<Company>('/api/v4/companies', 'companies', toParams(query), opts);
  }

  iterate(query?: ListQuery, opts?: RequestOptions): AsyncGenerator<Company, void, undefined> {
    return this.t.iterate<Company>('/api/v4/companies', 'companies', toParams(query), opts);
  }

  /** GET /api/v4/companies/{id}; null on 204. */
  get(id: number, params?: { with?: ('leads' | 'contacts' | 'customers' | 'catalog_elements')[] }, opts?: RequestOptions): Promise<Company | null> {
    return this.t.request<Company>('GET', path`/api/v4/companies/${id}`, {
      ...(params?.with?.length ? { query: { with: params.with } } : {}),
      ...(opts ? { opts } : {}),
    });
  }

  create(items: readonly CompanyInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'POST', '/api/v4/companies', 'companies', items, opts);
  }

  update(items: readonly CompanyInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'PATCH', '/api/v4/companies', 'companies', items, opts);
  }
}
