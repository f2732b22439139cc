import { Resource, embedded, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { Tag } from '../types.js';

export type TagEntity = 'leads' | 'contacts' | 'companies' | 'customers';

export interface TagListQuery {
  page?: number;
  limit?: number;
  /** Exact name. */
  name?: string;
  ids?: number[];
  /** Full-text search. */
  query?: string;
}

export class TagsResource extends Resource {
  list(entity: TagEntity, q?: TagListQuery, opts?: RequestOptions): Promise<ListPage<Tag>> {
    const filter = { ...(q?.name !== undefined ? { name: q.name } : {}), ...(q?.ids?.length ? { id: q.ids } : {}) };
    return this.t.list<Tag>(
      path`/api/v4/${entity}/tags`,
      'tags',
      {
        ...(q?.page !== undefined ? { page: q.page } : {}),
        ...(q?.limit !== undefined ? { limit: q.limit } : {}),
        ...(q?.query !== undefined ? { query: q.query } : {}),
        ...(Object.keys(filter).length ? { filter } : {}),
      },
      opts,
    );
  }

  /** POST /api/v4/{entity}/tags. `color` applies to lead tags only. */
  async create(
    entity: TagEntity,
    items: readonly { name: string; color?: string; request_id?: string }[],
    opts?: RequestOptions,
  ): Promise<(Tag & { request_id?: string })[]> {
    const data = await this.t.request<unknown>('POST', path`/api/v4/${entity}/tags`, { body: items, ...(opts ? { opts } : {}) });
    return embedded(data, 'tags');
  }
}
