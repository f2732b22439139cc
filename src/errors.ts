// The one error base class of the app's own modules, and the one `toError` for `catch (e: unknown)`. The amoCRM SDK
// (src/amocrm/) keeps its own classes: it imports nothing from the app. Nothing else here either (no Fastify), so
// any module, worker or CLI command can throw and catch these.
//
// An AppError carries a stable machine-readable `code` (tests, logs, problem+json bodies and the CLI name it; never
// rename one) and the `cause` it wraps. A subclass adds its own details as fields (`statusCode`, `errors`,
// `problems`, …). One that sets a 4xx `statusCode` (and optional field `errors`) is answered by src/http/problem.ts
// as problem+json with its `code`, so domains never import http/.

/** One bad field of a request body (problem+json `errors[]`). */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class AppError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `catch (e: unknown)` → an Error (graphile/worker's coerceError). */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
