// Custom field values: webhook items and API reads → one shape (AmoFieldValue), and the mapping of configured
// deal fields (ResolvedMap keys) to readable values, kept in amo_deals.fields by config key (no per-business columns).
import type { CustomFieldValues } from '../amocrm/index.js';
import type { HookCustomField } from '../amocrm/webhooks/index.js';
import type { AmoFieldValue } from '../db/index.js';
import type { ResolvedMap } from '../provision/index.js';
import type { DealFieldMap } from './types.js';

type Scalar = string | number | boolean | null;

const scalar = (v: unknown): Scalar =>
  v === null || v === undefined ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);

export function fromHookFields(list: HookCustomField[]): AmoFieldValue[] {
  return list.map((f) => ({
    id: f.id,
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.code !== undefined ? { code: f.code } : {}),
    values: f.values.map((v) => ({ value: v.value, ...(v.enum !== undefined ? { enum: v.enum } : {}) })),
  }));
}

export function fromApiFields(list: CustomFieldValues[] | null | undefined): AmoFieldValue[] {
  return (list ?? []).map((f) => ({
    id: f.field_id,
    name: f.field_name,
    ...(f.field_code ? { code: f.field_code } : {}),
    values: (f.values ?? []).map((v) => ({ value: scalar(v.value), ...(v.enum_id !== undefined ? { enum: v.enum_id } : {}) })),
  }));
}

/** One value → the value; several → a list; none → null. */
export function fieldValue(f: AmoFieldValue | undefined): Scalar | Scalar[] {
  if (!f || f.values.length === 0) return null;
  if (f.values.length === 1) return (f.values[0] as { value: Scalar }).value;
  return f.values.map((v) => v.value);
}

export function toNumber(v: Scalar | Scalar[]): number | null {
  const x = Array.isArray(v) ? v[0] : v;
  if (x === null || x === undefined || typeof x === 'boolean') return null;
  const n = typeof x === 'number' ? x : Number(String(x).replace(/\s+/g, '').replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

/** Builds the deal field map from provisioning's ResolvedMap (keys of `account.fields.leads`). */
export function dealFieldMapFromResolved(map: ResolvedMap | null | undefined): DealFieldMap {
  const byKey: Record<string, number> = {};
  for (const [key, f] of Object.entries(map?.fields.leads ?? {})) byKey[key] = f.id;
  return { byKey };
}

/** Mapped values (config key → value) of the fields present in `all` (absent fields are left out, so they are not cleared). */
export function mapDealFields(all: Record<string, AmoFieldValue>, map: DealFieldMap): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, id] of Object.entries(map.byKey)) {
    const f = all[String(id)];
    if (f) fields[key] = fieldValue(f);
  }
  return fields;
}

/**
 * A mapped deal field read as a number by its config key (`object_cost`, `commission`: numbers or numeric text like
 * "1 500,5"); null when absent or not a number. analytics/sql.ts `dealNumber` is the same rule in SQL.
 */
export function mappedNumber(fields: Record<string, unknown>, key: string): number | null {
  const v = fields[key];
  return v === undefined ? null : toNumber(v as Scalar | Scalar[]);
}

/** A mapped deal field read as text by its config key (`payment_status`: an enum's value); the first of a list. */
export function mappedText(fields: Record<string, unknown>, key: string): string | null {
  const v = fields[key];
  const x = Array.isArray(v) ? v[0] : v;
  return x === undefined || x === null ? null : typeof x === 'object' ? JSON.stringify(x) : String(x);
}

/** A field map loader that re-reads the stored ResolvedMap at most every `ttlMs` (setup may rewrite it). */
export function cachedFieldMap(load: () => Promise<ResolvedMap | null>, ttlMs = 60_000, now: () => number = Date.now): () => Promise<DealFieldMap> {
  let cached: { at: number; map: DealFieldMap } | undefined;
  return async () => {
    if (!cached || now() - cached.at >= ttlMs) cached = { at: now(), map: dealFieldMapFromResolved(await load()) };
    return cached.map;
  };
}
