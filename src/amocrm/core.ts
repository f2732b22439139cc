// What resources see of the client: a small transport interface (keeps resources free of a client import cycle).
import type { RequestOptions } from './request.js';
import type { QueryParams } from './query.js';

/** One list page. A 204 (nothing found / past the end) is an empty page with no next link. */
export interface ListPage<T> {
  items: T[];
  page: number | null;
  /** Absolute `_links.next.href`, or null on the last page. */
  nextUrl: string | null;
  totalItems: number | null;
  pageCount: number | null;
}

export interface CallInit {
  query?: QueryParams;
  body?: unknown;
  opts?: RequestOptions;
}

export interface AmoTransport {
  /** JSON body of a 2xx answer, or null for 204 / empty. Throws AmoError subclasses. */
  request<T>(method: string, path: string, init?: CallInit): Promise<T | null>;
  /** GET a HAL list page and unwrap `_embedded[key]`. `pathOrUrl` may be a `_links.next.href`. */
  list<T>(pathOrUrl: string, key: string, query?: QueryParams, opts?: RequestOptions): Promise<ListPage<T>>;
  /** Follow `_links.next` until a 204 or a page without next. */
  iterate<T>(path: string, key: string, query?: QueryParams, opts?: RequestOptions): AsyncGenerator<T, void, undefined>;
}

/** Base for resource groups: holds the transport. */
export abstract class Resource {
  constructor(protected readonly t: AmoTransport) {}
}

/** Unwrap `_embedded[key]` of a batch write answer. */
export function embedded<T>(data: unknown, key: string): T[] {
  if (data === null || typeof data !== 'object') return [];
  const emb = (data as { _embedded?: Record<string, unknown> })._embedded;
  const items = emb?.[key];
  return Array.isArray(items) ? (items as T[]) : [];
}
