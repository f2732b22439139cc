// Small pure helpers the source adapters share: secret comparison, cookie strings, analytics client ids, paths
// into a body (`a.b[0].c`, `answers[q=Budget].a`), and turning name → value pairs into one intake lead body.
import { createHash, timingSafeEqual } from 'node:crypto';
import { CORE_FIELDS } from './forms.js';

/** Constant-time comparison of a presented secret with the configured one. */
export function secretMatches(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string' || presented === '') return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `a=1; b=2` → { a: '1', b: '2' } (values kept as sent; the first of a repeated name wins). */
export function parseCookies(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

/** `GA1.1.1234567890.1700000000` → `1234567890.1700000000` (the client id is the last two parts). */
export function gaClientId(ga: string | undefined): string | undefined {
  const parts = ga?.split('.') ?? [];
  return parts.length >= 4 ? parts.slice(-2).join('.') : undefined;
}

/** Attribution values an adapter can take from analytics cookies (Tilda's COOKIES field). */
export function cookieAttribution(cookies: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const ga = gaClientId(cookies._ga);
  if (ga) out.ga_client_id = ga;
  if (cookies._ym_uid) out.ym_client_id = cookies._ym_uid;
  if (cookies._fbc) out.fbc = cookies._fbc;
  if (cookies._fbp) out.fbp = cookies._fbp;
  return out;
}

type Token = { key: string } | { index: number } | { match: [string, string] };

function tokens(path: string): Token[] {
  const out: Token[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) out.push(/^\d+$/.test(m[1]) ? { index: Number(m[1]) } : { key: m[1] });
    else {
      const inner = m[2] ?? '';
      const eq = inner.indexOf('=');
      if (/^\d+$/.test(inner)) out.push({ index: Number(inner) });
      else if (eq > 0) out.push({ match: [inner.slice(0, eq), inner.slice(eq + 1)] });
      else out.push({ key: inner });
    }
  }
  return out;
}

/** The value at a path: `contacts.phone`, `answers[0].a`, `answers[q=Ваш бюджет].a`, `fields[name][value]`. */
export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const t of tokens(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if ('index' in t) cur = Array.isArray(cur) ? cur[t.index] : (cur as Record<string, unknown>)[String(t.index)];
    else if ('key' in t) cur = Object.hasOwn(cur, t.key) ? (cur as Record<string, unknown>)[t.key] : undefined;
    else {
      const [k, v] = t.match;
      const list = Array.isArray(cur) ? cur : Object.values(cur);
      cur = list.find((x) => x !== null && typeof x === 'object' && String((x as Record<string, unknown>)[k]) === v);
    }
  }
  return cur;
}

/** Intake body names that go at the top level (the rest go to `extra`). */
const TOP_LEVEL = new Set([
  ...CORE_FIELDS,
  'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'gclid', 'gbraid', 'wbraid', 'yclid', 'fbclid',
  'fbc', 'fbp', 'referrer', 'landing_page', 'page_url', 'ga_client_id', 'ym_client_id', 'consent',
]);

function isScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * One lead body from `name → value` pairs: known names at the top level, `extra.<x>` and unknown names in `extra`.
 * Empty values are dropped; lists of scalars are kept; anything else is joined to text so intake can store it.
 */
export class LeadBody {
  readonly body: Record<string, unknown> = {};
  readonly extra: Record<string, unknown> = {};

  set(name: string, value: unknown): void {
    if (value === undefined || value === null || value === '') return;
    let v = value;
    if (Array.isArray(v)) v = v.every(isScalar) ? v : JSON.stringify(v);
    else if (!isScalar(v)) v = JSON.stringify(v);
    if (name.startsWith('extra.')) this.extra[name.slice(6)] = v;
    else if (TOP_LEVEL.has(name)) this.body[name] = Array.isArray(v) ? v.join(', ') : v;
    else this.extra[name] = v;
  }

  /** Only when not set yet (a direct field wins over a cookie). */
  fallback(name: string, value: unknown): void {
    if (this.body[name] === undefined) this.set(name, value);
  }

  build(form: string, raw: Record<string, unknown> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = { ...raw, ...this.body, form };
    if (Object.keys(this.extra).length > 0) out.extra = this.extra;
    return out;
  }
}

/** An idempotency key from an adapter's own submission id: readable when it is short visible ASCII, hashed otherwise. */
export function sourceKey(prefix: string, id: string): string {
  const key = `${prefix}:${id}`;
  return /^[\x21-\x7e]{1,200}$/.test(key) ? key : `${prefix}:h:${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}
