// Range checks at receipt: a delivery is acknowledged only when every number in it fits where it will be stored.
// The parser reads any decimal as a number; ids land in bigint columns and timestamps become Dates, so an id of
// 2^63, a fractional account id or a `last_modified` of 1e20 would be acked and then fail processing forever
// (or fail a whole batch of other deliveries at insert). Such a delivery is refused (400) and kept as malformed.
import type { ParsedWebhook } from '../amocrm/webhooks/index.js';

/** Latest unix time (seconds) a timestamp may carry: 9999-12-31. */
const MAX_UNIX_SECONDS = 253_402_300_799;
const TIME_KEYS = new Set(['lastModified', 'createdAt', 'updatedAt', 'dateCreate', 'closedAt', 'completeTill', 'at', 'timestamp']);
const ID_KEY = /(?:^id$|Id$|Ids$|^enum$)/;

function bad(path: string, v: number, what: string): string {
  return `${path} = ${String(v).slice(0, 40)} is not ${what}`;
}

/** The first number out of range in the value, by key (ids, timestamps, any other number); undefined = all fine. */
function check(v: unknown, key: string, path: string, depth: number): string | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) return bad(path, v, 'a safe number');
    if (ID_KEY.test(key) && (!Number.isInteger(v) || v < 0)) return bad(path, v, 'a non-negative integer id');
    if (TIME_KEYS.has(key) && (!Number.isInteger(v) || v < 0 || v > MAX_UNIX_SECONDS)) return bad(path, v, 'a unix time in seconds');
    return undefined;
  }
  if (depth > 8 || typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = check(v[i], key, `${path}.${i}`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    const p = check(x, k, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return undefined;
}

/** What is out of range in a parsed delivery (the account and every event's typed data), or undefined. */
export function outOfRange(parsed: ParsedWebhook): string | undefined {
  const account = check(parsed.account.id, 'id', 'account.id', 0);
  if (account) return account;
  for (const e of parsed.events) {
    if (!('data' in e)) continue;
    const found = check(e.data, '', `${e.key}[${e.action}][${e.index}]`, 0);
    if (found) return found;
  }
  return undefined;
}
