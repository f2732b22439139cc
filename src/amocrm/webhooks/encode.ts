// Builds webhook bodies exactly as amoCRM sends them: PHP http_build_query (RFC 1738 urlencode, brackets as
// %5B/%5D, spaces as +), items grouped by key then action, numbered per action, account block last (§8.1).

export type HookEntityKey = 'leads' | 'contacts' | 'task' | 'unsorted' | 'message' | 'talk' | 'catalogs' | 'customers';

export interface HookItem {
  key: HookEntityKey;
  action: string;
  fields: Record<string, unknown>;
}

export function encodeWebhookBody(items: HookItem[], account: { id: number; subdomain: string; self: string }): string {
  const groups = new Map<string, Map<string, Record<string, unknown>[]>>();
  for (const item of items) {
    let actions = groups.get(item.key);
    if (!actions) groups.set(item.key, (actions = new Map()));
    let list = actions.get(item.action);
    if (!list) actions.set(item.action, (list = []));
    list.push(item.fields);
  }
  const pairs: string[] = [];
  for (const [key, actions] of groups) {
    for (const [action, list] of actions) {
      list.forEach((fields, i) => flatten(`${key}[${action}][${i}]`, fields, pairs));
    }
  }
  flatten('account[subdomain]', account.subdomain, pairs);
  flatten('account[id]', account.id, pairs);
  flatten('account[_links][self]', account.self, pairs);
  return pairs.join('&');
}

/** PHP semantics: true → "1", false → "0", null/undefined and empty arrays/objects produce nothing. */
function flatten(prefix: string, v: unknown, out: string[]): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string') out.push(`${phpUrlencode(prefix)}=${phpUrlencode(v)}`);
  else if (typeof v === 'boolean') out.push(`${phpUrlencode(prefix)}=${v ? '1' : '0'}`);
  else if (typeof v === 'number') {
    if (Number.isFinite(v)) out.push(`${phpUrlencode(prefix)}=${phpUrlencode(String(v))}`);
  } else if (typeof v === 'bigint') out.push(`${phpUrlencode(prefix)}=${v.toString()}`);
  else if (Array.isArray(v)) v.forEach((x: unknown, i) => flatten(`${prefix}[${i}]`, x, out));
  else if (v instanceof Map) for (const [k, x] of v) flatten(`${prefix}[${String(k)}]`, x, out);
  else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(`${prefix}[${k}]`, x, out);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** PHP urlencode(): like encodeURIComponent, plus !'()*~ encoded and spaces as "+". */
export function phpUrlencode(s: string): string {
  let enc: string;
  try {
    enc = encodeURIComponent(s);
  } catch {
    enc = encodeURIComponent(s.replace(LONE_SURROGATE, '\uFFFD'));
  }
  return enc.replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}
