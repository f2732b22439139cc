// Events (audit log, fact sheet §7.12): limit ≤ 100; event ids are strings. Used to reconcile missed webhooks.
import { Resource, type ListPage } from '../core.js';
import { path, type QueryParams, type QueryValue } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { AmoEvent } from '../types.js';

export interface EventListQuery {
  page?: number;
  /** ≤ 100 */
  limit?: number;
  types?: string[];
  /** lead | contact | company | customer | task | catalog_{id} */
  entities?: string[];
  entityIds?: number[];
  createdAt?: { from?: number; to?: number };
  createdBy?: number[];
  /** Raw extra filters, e.g. `{ value_after: { leads_statuses: [{ pipeline_id, status_id }] } }`. */
  filter?: { [key: string]: QueryValue };
}

function params(q?: EventListQuery): QueryParams | undefined {
  if (!q) return undefined;
  const filter: { [key: string]: QueryValue } = { ...q.filter };
  if (q.types?.length) filter.type = q.types;
  if (q.entities?.length) filter.entity = q.entities;
  if (q.entityIds?.length) filter.entity_id = q.entityIds;
  if (q.createdAt) filter.created_at = { ...q.createdAt };
  if (q.createdBy?.length) filter.created_by = q.createdBy;
  return {
    ...(q.page !== undefined ? { page: q.page } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(Object.keys(filter).length ? { filter } : {}),
  };
}

export class EventsResource extends Resource {
  list(query?: EventListQuery, opts?: RequestOptions): Promise<ListPage<AmoEvent>> {
    return this.t.list<AmoEvent>('/api/v4/events', 'events', params(query), opts);
  }

  iterate(query?: Omit<EventListQuery, 'page'>, opts?: RequestOptions): AsyncGenerator<AmoEvent, void, undefined> {
    return this.t.iterate<AmoEvent>('/api/v4/events', 'events', params(query), opts);
  }

  get(id: string, opts?: RequestOptions): Promise<AmoEvent | null> {
    return this.t.request<AmoEvent>('GET', path`/api/v4/events/${id}`, opts ? { opts } : {});
  }
}
