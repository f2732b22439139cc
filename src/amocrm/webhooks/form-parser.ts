// A small PHP-style bracket-key parser for amoCRM's form bodies (fact sheet §8.1): `leads[status][0][id]=1`,
// brackets raw or percent-encoded, `+` as space. Builds Maps only, refuses `__proto__`/`constructor`/`prototype`,
// and enforces the limits before it allocates anything big.

import { WebhookParseError } from './errors.js';
import type { ParseLimits } from './errors.js';
import { FORBIDDEN_KEYS, isIndexKey, isTree } from './tree.js';
import type { Node, Tree } from './tree.js';

/**
 * Numeric keys below these parents are ids, not list positions (`linked_leads_id[25399013][ID]=25399013`,
 * `accept_result[leads][<id>]`), so the index limit does not apply to them.
 */
const ID_KEYED_PARENTS: ReadonlySet<string> = new Set([
  'linked_leads_id',
  'linked_contacts_id',
  'linked_companies_id',
  'linked_customers_id',
  'leads',
  'contacts',
  'companies',
  'customers',
]);

/** Throws unless a numeric key under `parent` is within the index limit. */
export function checkIndex(key: string, parent: string, limits: Required<ParseLimits>): void {
  if (!isIndexKey(key) || ID_KEYED_PARENTS.has(parent)) return;
  if (key.length > 15 || Number(key) > limits.maxIndex) {
    throw new WebhookParseError('ARRAY_TOO_LARGE', `list index ${key.slice(0, 20)} exceeds ${limits.maxIndex}`);
  }
}

export function checkKeyName(key: string): void {
  if (FORBIDDEN_KEYS.has(key)) throw new WebhookParseError('MALFORMED', `forbidden key "${key}"`);
  rejectNul(key);
}

/** amoCRM never sends U+0000, and PostgreSQL cannot store it in text or jsonb: a body carrying one is garbage. */
export function rejectNul(s: string): string {
  if (s.includes('\u0000')) throw new WebhookParseError('MALFORMED', 'NUL character in a key or value');
  return s;
}

export function parseFormBody(text: string, limits: Required<ParseLimits>): Tree {
  const parts = text.split('&');
  let pairs = 0;
  for (const p of parts) if (p !== '') pairs++;
  if (pairs > limits.maxKeys) {
    throw new WebhookParseError('TOO_MANY_KEYS', `body has ${pairs} pairs, limit is ${limits.maxKeys}`);
  }
  const root: Tree = new Map();
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(part.slice(eq + 1));
    insert(root, splitKey(key, limits.maxDepth), value, limits);
  }
  return root;
}

/** `a[b][]` → ['a', 'b', '']. Strict grammar: root (no brackets), then `[segment]` groups and nothing else. */
export function splitKey(key: string, maxDepth: number): string[] {
  const open = key.indexOf('[');
  const rootKey = open === -1 ? key : key.slice(0, open);
  if (rootKey === '' || rootKey.includes(']')) {
    throw new WebhookParseError('MALFORMED', 'a key has an empty or bracketed root');
  }
  const path = [rootKey];
  let pos = open;
  while (pos !== -1 && pos < key.length) {
    if (key.charCodeAt(pos) !== 0x5b /* [ */) throw new WebhookParseError('MALFORMED', 'text after a bracket group');
    const close = key.indexOf(']', pos + 1);
    if (close === -1) throw new WebhookParseError('MALFORMED', 'unclosed bracket in a key');
    const seg = key.slice(pos + 1, close);
    if (seg.includes('[')) throw new WebhookParseError('MALFORMED', 'nested bracket in a key');
    path.push(seg);
    if (path.length - 1 > maxDepth) {
      throw new WebhookParseError('TOO_DEEP', `a key is deeper than ${maxDepth} levels`);
    }
    pos = close + 1;
  }
  return path;
}

function insert(root: Tree, path: string[], value: string, limits: Required<ParseLimits>): void {
  let node: Tree = root;
  let parentName = '';
  for (let i = 0; i < path.length; i++) {
    let key = path[i] ?? '';
    if (key === '') {
      // `x[]=…` appends: next position is the current size, as PHP does for a list.
      if (node.size > limits.maxIndex) {
        throw new WebhookParseError('ARRAY_TOO_LARGE', `list under "${parentName}" exceeds ${limits.maxIndex}`);
      }
      key = String(node.size);
    } else {
      checkKeyName(key);
      checkIndex(key, parentName, limits);
    }
    if (i === path.length - 1) {
      node.set(key, value); // later pairs win, like PHP
      return;
    }
    const next: Node | undefined = node.get(key);
    if (isTree(next)) {
      node = next;
    } else {
      const created: Tree = new Map();
      node.set(key, created);
      node = created;
    }
    parentName = key;
  }
}

/** `+` → space, then lenient percent-decoding (bad escapes stay literal, bad UTF-8 → U+FFFD); only a NUL throws. */
export function decodeComponent(s: string): string {
  const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!spaced.includes('%')) return rejectNul(spaced);
  try {
    return rejectNul(decodeURIComponent(spaced));
  } catch (err) {
    if (err instanceof WebhookParseError) throw err;
    return rejectNul(spaced.replace(/(?:%[0-9a-fA-F]{2})+/g, (m) => Buffer.from(m.replace(/%/g, ''), 'hex').toString('utf8')));
  }
}
