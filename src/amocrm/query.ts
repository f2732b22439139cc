// Query strings the PHP way (fact sheet §7.15): filter[statuses][0][pipeline_id]=1, filter[id][]=5, order[id]=asc,
// with=a,b. And a `path` template tag that encodes every interpolated value, so an id can never add a segment.

export type QueryValue = string | number | boolean | null | undefined | QueryValue[] | { [key: string]: QueryValue };
export type QueryParams = { [key: string]: QueryValue };

/** Build `a=1&filter[x][0][y]=2`. Arrays of scalars use `[]`, arrays of objects use indexes; null/undefined skipped. */
export function buildQuery(params: QueryParams): string {
  const out: string[] = [];
  const add = (key: string, value: QueryValue): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      const scalars = value.every((v) => v === null || typeof v !== 'object');
      value.forEach((v, i) => add(scalars ? `${key}[]` : `${key}[${i}]`, v));
      return;
    }
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(`${key}[${encodeKey(k)}]`, v);
      return;
    }
    const str = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    out.push(`${key}=${encodeURIComponent(str)}`);
  };
  for (const [k, v] of Object.entries(params)) {
    // `with` is a comma list, not an array parameter.
    if (k === 'with' && Array.isArray(v)) add('with', v.join(','));
    else add(encodeKey(k), v);
  }
  return out.join('&');
}

function encodeKey(k: string): string {
  return encodeURIComponent(k);
}

/** Append a query to a path (`/api/v4/leads` + `?…` when non-empty). */
export function withQuery(pathname: string, params?: QueryParams): string {
  const q = params ? buildQuery(params) : '';
  return q ? `${pathname}?${q}` : pathname;
}

/** Path template tag: path`/api/v4/leads/${id}` encodes each value with encodeURIComponent. */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const s = String(v);
    if (s === '' || s === '.' || s === '..') throw new RangeError(`invalid path segment: ${JSON.stringify(s)}`);
    out += encodeURIComponent(s) + (strings[i + 1] ?? '');
  });
  return out;
}

/** Split items into batches (amoCRM recommends ≤ 50 per write; /leads/complex allows at most 50). */
export function chunk<T>(items: readonly T[], size = 50): T[][] {
  if (!(size > 0)) throw new RangeError('chunk size must be > 0');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
