// JSON bodies with the same nested structure as the form bodies (`{"leads":{"status":[{…}]},"account":{…}}`).
// Converted into the same Map tree, with the same limits and forbidden keys, so one normaliser serves both.

import { WebhookParseError } from './errors.js';
import type { ParseLimits } from './errors.js';
import { checkIndex, checkKeyName, rejectNul } from './form-parser.js';
import type { Node, Tree } from './tree.js';

export function parseJsonBody(text: string, limits: Required<ParseLimits>): Tree {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    if (cause instanceof RangeError) throw new WebhookParseError('TOO_DEEP', 'JSON body nests too deeply', { cause });
    throw new WebhookParseError('MALFORMED', 'body is not valid JSON', { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WebhookParseError('MALFORMED', 'JSON body must be an object');
  }
  const counter = { keys: 0 };
  const root: Tree = new Map();
  for (const [k, v] of Object.entries(parsed)) {
    checkKeyName(k);
    root.set(k, convert(v, 0, k, limits, counter));
  }
  return root;
}

// `depth` is the depth of the key that holds `v` (root keys are 0), matching the form parser's bracket count.
function convert(
  v: unknown,
  depth: number,
  key: string,
  limits: Required<ParseLimits>,
  counter: { keys: number },
): Node {
  if (++counter.keys > limits.maxKeys) {
    throw new WebhookParseError('TOO_MANY_KEYS', `JSON body has more than ${limits.maxKeys} values`);
  }
  if (typeof v === 'string') return rejectNul(v);
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v !== 'object') return null;
  const entries: [string, unknown][] = Array.isArray(v)
    ? v.map((x: unknown, i): [string, unknown] => [String(i), x])
    : Object.entries(v);
  if (entries.length > 0 && depth + 1 > limits.maxDepth) {
    throw new WebhookParseError('TOO_DEEP', `JSON body is deeper than ${limits.maxDepth} levels`);
  }
  if (Array.isArray(v) && v.length > limits.maxIndex + 1) {
    throw new WebhookParseError('ARRAY_TOO_LARGE', `a JSON list exceeds ${limits.maxIndex} items`);
  }
  const out: Tree = new Map();
  for (const [k, x] of entries) {
    checkKeyName(k);
    checkIndex(k, key, limits);
    out.set(k, convert(x, depth + 1, k, limits, counter));
  }
  return out;
}
