// The decoded body as a tree of Maps. Maps keep insertion (= body) order for every key, including numeric ones
// (a plain object would sort "10" before "update"), and have no prototype to pollute.

export type Leaf = string | number | boolean | null;
export type Node = Leaf | Tree;
export type Tree = Map<string, Node>;

/** Plain-data view of a subtree (null-prototype objects). Used for `raw` and parsed note metadata. */
export type RawValue = Leaf | RawValue[] | RawObject;
export interface RawObject {
  [key: string]: RawValue;
}

/** Keys that could reach Object.prototype in a naive consumer. Never accepted as structural keys. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const INDEX_RE = /^(?:0|[1-9]\d*)$/;

export function isIndexKey(key: string): boolean {
  return INDEX_RE.test(key);
}

export function isTree(n: Node | undefined): n is Tree {
  return n instanceof Map;
}

export function child(t: Tree | undefined, key: string): Tree | undefined {
  const n = t?.get(key);
  return isTree(n) ? n : undefined;
}

/** A leaf as a trimmed-free string ('' is kept); numbers/booleans stringified; trees → undefined. */
export function str(t: Tree, key: string): string | undefined {
  return leafToString(t.get(key));
}

export function leafToString(n: Node | undefined): string | undefined {
  if (n === undefined || n === null || isTree(n)) return undefined;
  if (typeof n === 'boolean') return n ? '1' : '0';
  return String(n);
}

const NUM_RE = /^-?\d+(?:\.\d+)?$/;

/** Numeric leaf ("142", " 142 ", 142) → number; '' / non-numeric / missing → undefined. */
export function num(t: Tree, key: string): number | undefined {
  return leafToNumber(t.get(key));
}

export function leafToNumber(n: Node | undefined): number | undefined {
  if (typeof n === 'number') return Number.isFinite(n) ? n : undefined;
  if (typeof n === 'boolean') return n ? 1 : 0;
  if (typeof n !== 'string') return undefined;
  const s = n.trim();
  if (!NUM_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** "1"/"0" (also "true"/"false", "Y"/"N", real booleans and numbers) → boolean. */
export function bool(t: Tree, key: string): boolean | undefined {
  const n = t.get(key);
  if (typeof n === 'boolean') return n;
  if (typeof n === 'number') return n !== 0;
  if (typeof n !== 'string') return undefined;
  const s = n.trim().toLowerCase();
  if (s === '1' || s === 'true' || s === 'y') return true;
  if (s === '0' || s === 'false' || s === 'n' || s === '') return false;
  return undefined;
}

/** Numeric string → number, anything else kept as a string (dates that may be unix or "Y-m-d H:i:s"). */
export function numOrStr(t: Tree, key: string): number | string | undefined {
  return leafToNumber(t.get(key)) ?? str(t, key);
}

/** The children of a list-like node in body order (a non-tree node gives []). */
export function items(n: Node | undefined): Node[] {
  return isTree(n) ? [...n.values()] : [];
}

/** Numbers among the leaves of a node (accepts `[0]=1&[1]=2`, `[<id>][ID]=<id>` and a bare leaf). */
export function numbers(n: Node | undefined): number[] {
  if (n === undefined) return [];
  if (!isTree(n)) {
    const v = leafToNumber(n);
    return v === undefined ? [] : [v];
  }
  const out: number[] = [];
  for (const [key, c] of n) {
    if (isTree(c)) {
      const v = leafToNumber(c.get('ID') ?? c.get('id')) ?? leafToNumber(key);
      if (v !== undefined) out.push(v);
    } else {
      const v = leafToNumber(c);
      if (v !== undefined) out.push(v);
    }
  }
  return out;
}

export function toRaw(n: Node): RawValue {
  if (!isTree(n)) return n;
  return toRawObject(n);
}

export function toRawObject(t: Tree): RawObject {
  const out: RawObject = Object.create(null) as RawObject;
  for (const [k, v] of t) out[k] = toRaw(v);
  return out;
}

/**
 * Turn already-parsed JSON (e.g. note metadata) into RawValue: forbidden keys dropped, null-prototype objects,
 * anything deeper than maxDepth replaced by null. Never throws.
 */
export function sanitizeJson(v: unknown, maxDepth: number, depth = 0): RawValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (depth >= maxDepth || typeof v !== 'object') return null;
  if (Array.isArray(v)) return v.map((x: unknown) => sanitizeJson(x, maxDepth, depth + 1));
  const out: RawObject = Object.create(null) as RawObject;
  for (const [k, x] of Object.entries(v)) {
    if (FORBIDDEN_KEYS.has(k)) continue;
    out[k] = sanitizeJson(x, maxDepth, depth + 1);
  }
  return out;
}

/** Drop undefined-valued keys so payloads only carry what the hook carried. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
