// Webhook secret: where it may come from, and a constant-time comparison.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality (both sides hashed first, so lengths leak nothing). Empty expected never matches. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (!expected) return false;
  const ok = timingSafeEqual(digest(given ?? ''), digest(expected));
  return ok && given !== undefined;
}

/** Path `:secret`, then `?secret=`, then the `X-Webhook-Secret` header. */
export function secretFrom(params: unknown, query: unknown, header: string | string[] | undefined): string | undefined {
  const p = (params as { secret?: unknown } | undefined)?.secret;
  if (typeof p === 'string' && p !== '') return p;
  const q = (query as { secret?: unknown } | undefined)?.secret;
  if (typeof q === 'string' && q !== '') return q;
  const h = Array.isArray(header) ? header[0] : header;
  return typeof h === 'string' && h !== '' ? h : undefined;
}
