// Shared pieces of the entity resources: list queries and batch writes in chunks.
import { embedded, type AmoTransport } from '../core.js';
import { chunk, type QueryParams, type QueryValue } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { BatchResultItem } from '../types.js';

/** Common list query for /leads, /contacts, /companies, … (fact sheet §6, §7.15). */
export interface ListQuery {
  with?: string[];
  page?: number;
  /** ≤ 250 (events ≤ 100). */
  limit?: number;
  /** Full-text search over filled fields. */
  query?: string | number;
  filter?: { [key: string]: QueryValue };
  order?: { [field: string]: 'asc' | 'desc' };
}

export function toParams(q?: ListQuery): QueryParams | undefined {
  if (!q) return undefined;
  const p: QueryParams = {};
  if (q.with?.length) p.with = q.with;
  if (q.page !== undefined) p.page = q.page;
  if (q.limit !== undefined) p.limit = q.limit;
  if (q.query !== undefined) p.query = q.query;
  if (q.filter) p.filter = q.filter;
  if (q.order) p.order = q.order;
  return p;
}

export const BATCH_SIZE = 50;

/**
 * POST/PATCH `items` in consecutive requests of ≤ 50 and concatenate `_embedded[key]`. Writes are not idempotent:
 * if a later chunk fails, the earlier chunks stay written (the error is thrown as is).
 */
export async function batchWrite<I, R = BatchResultItem>(
  t: AmoTransport,
  method: 'POST' | 'PATCH',
  path: string,
  key: string,
  items: readonly I[],
  opts?: RequestOptions,
): Promise<R[]> {
  const out: R[] = [];
  for (const part of chunk(items, BATCH_SIZE)) {
    const data = await t.request<unknown>(method, path, { body: part, ...(opts ? { opts } : {}) });
    out.push(...embedded<R>(data, key));
  }
  return out;
}
