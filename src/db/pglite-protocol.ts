// The messages between the main thread (pglite-thread.ts) and the embedded database's thread (pglite-worker.ts).
// Values cross by structured clone (Date, Uint8Array, bigint and plain objects survive); parser functions cannot,
// so a query names the type ids whose text is to be passed through unparsed (what drizzle asks for).

export type ThreadRequest = { id: number } & (
  | { op: 'query'; sql: string; params?: unknown[]; rowMode?: 'array' | 'object'; passThroughTypes?: number[]; tx?: number }
  | { op: 'exec'; sql: string; tx?: number }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'dump'; compression?: 'auto' | 'gzip' | 'none' }
  | { op: 'close' }
);

/** Distributes Omit over the request union (a plain Omit would merge the variants). */
export type RequestBody = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export type ThreadReply = { id: number } & ({ ok: true; value: unknown } | { ok: false; error: SerializedError });

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** PGlite's DatabaseError fields (code, detail, constraint, table, …): callers branch on `code`. */
  fields: Record<string, unknown>;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (v === undefined || typeof v === 'function' || (typeof v === 'object' && v !== null)) continue;
    fields[k] = v;
  }
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), fields };
}

export function deserializeError(e: SerializedError): Error {
  const err = Object.assign(new Error(e.message), e.fields);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}
