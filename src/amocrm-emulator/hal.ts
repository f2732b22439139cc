// HAL links and paging (fact sheet §6, checklist §10.1–2): absolute hrefs, next keeps every query param, 204 when empty.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HalLinks } from '../amocrm/types.js';
import { fail } from './problems.js';

export const HAL = 'application/hal+json';

export function baseUrl(req: FastifyRequest): string {
  const host = req.headers.host ?? '127.0.0.1';
  return `${req.protocol}://${host}`;
}

export const link = (req: FastifyRequest, path: string): { self: { href: string } } => ({ self: { href: baseUrl(req) + path } });

export function sendHal(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type(HAL).send(JSON.stringify(body));
}

export function sendNoContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}

/** Default page size 250 (recorded responses: a request without params links `?page=1&limit=250`). */
export function pageParams(req: FastifyRequest, maxLimit = 250, defaultLimit = 250): { page: number; limit: number } {
  const q = req.query as Record<string, unknown>;
  const page = q.page === undefined ? 1 : Number(q.page);
  const limit = q.limit === undefined ? defaultLimit : Number(q.limit);
  if (!Number.isInteger(page) || page < 1) throw fail(400, 'Invalid page');
  if (!Number.isInteger(limit) || limit < 1) throw fail(400, 'Invalid limit');
  if (limit > maxLimit) throw fail(422, `Limit ${maxLimit} per page`);
  return { page, limit };
}

function hrefWithPage(req: FastifyRequest, page: number): string {
  const url = new URL(req.url, baseUrl(req));
  url.searchParams.set('page', String(page));
  return url.toString();
}

/** A paged list response, or 204 for an empty list / past-the-end page. */
export function sendPage<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  key: string,
  all: T[],
  opts: {
    maxLimit?: number;
    defaultLimit?: number;
    totals?: boolean;
    pageCount?: boolean;
    /** Items' `_links.self.href` carry the list's query (recorded lead/contact/company lists: `…/leads/1?page=1&limit=250`). */
    itemLinksKeepQuery?: boolean;
    render: (x: T) => unknown;
  },
): FastifyReply {
  const { page, limit } = pageParams(req, opts.maxLimit, opts.defaultLimit);
  const start = (page - 1) * limit;
  const slice = all.slice(start, start + limit);
  if (slice.length === 0) return sendNoContent(reply);
  const links: HalLinks = { self: { href: hrefWithPage(req, page) } };
  if (start + limit < all.length) links.next = { href: hrefWithPage(req, page + 1) };
  if (page > 1) {
    links.first = { href: hrefWithPage(req, 1) };
    links.prev = { href: hrefWithPage(req, page - 1) };
  }
  const pages = Math.max(1, Math.ceil(all.length / limit));
  if (opts.pageCount) links.last = { href: hrefWithPage(req, pages) };
  const body: Record<string, unknown> = {};
  if (opts.totals) body._total_items = all.length;
  body._page = page;
  if (opts.pageCount) body._page_count = pages;
  body._links = links;
  const listQuery = opts.itemLinksKeepQuery ? listQueryOf(req, page, limit) : '';
  body._embedded = { [key]: slice.map((x) => (listQuery ? withQueryLink(opts.render(x), listQuery) : opts.render(x))) };
  return sendHal(reply, body);
}

function listQueryOf(req: FastifyRequest, page: number, limit: number): string {
  const url = new URL(req.url, baseUrl(req));
  url.searchParams.set('page', String(page));
  url.searchParams.set('limit', String(limit));
  return url.search;
}

function withQueryLink(item: unknown, query: string): unknown {
  const self = (item as { _links?: { self?: { href?: unknown } } })._links?.self;
  if (self && typeof self.href === 'string') self.href += query;
  return item;
}

/**
 * Reads `order[field]=asc|desc` and sorts in place by the first allowed key. Without one, `fallback` applies
 * (lead/contact lists: `updated_at` ascending, as recorded real responses are ordered — a paged scan without
 * `order` walks a list that changes under it).
 */
export function applyOrder<T>(
  req: FastifyRequest,
  items: T[],
  allowed: string[],
  get: (x: T, k: string) => number,
  fallback?: { key: string; dir: 'asc' | 'desc' },
): T[] {
  const order = (req.query as Record<string, unknown>).order;
  const sortBy = (k: string, sign: number) => items.sort((a, b) => sign * (get(a, k) - get(b, k)) || sign * (get(a, 'id') - get(b, 'id')));
  if (order && typeof order === 'object') {
    for (const [k, dir] of Object.entries(order as Record<string, unknown>)) {
      if (!allowed.includes(k)) continue;
      return sortBy(k, String(dir).toLowerCase() === 'desc' ? -1 : 1);
    }
  }
  if (fallback) sortBy(fallback.key, fallback.dir === 'desc' ? -1 : 1);
  return items;
}

export function parseIdParam(v: unknown): number | undefined {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Normalises `filter[x][]=1` / `filter[x]=1` / `filter[x][0]=1` into an array of strings. */
export function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).map(String);
  return String(v).split(',');
}

export function range(v: unknown): { from?: number; to?: number } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return { ...(o.from !== undefined ? { from: Number(o.from) } : {}), ...(o.to !== undefined ? { to: Number(o.to) } : {}) };
  }
  return { from: Number(v) };
}

export const inRange = (x: number | null, r: { from?: number; to?: number } | undefined): boolean =>
  !r || (x !== null && (r.from === undefined || x >= r.from) && (r.to === undefined || x <= r.to));
