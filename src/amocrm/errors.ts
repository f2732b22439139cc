// Error classes for the amoCRM SDK. Callers branch on `instanceof` (or the string `code`), never on raw numbers.
// Bodies follow RFC 7807 problem+json (fact sheet §5), but 403/429/5xx may be nginx HTML pages (§4, §5.1).
import type { AmoProblem, ValidationErrorEntry } from './types.js';

export type AmoErrorCode =
  | 'API_ERROR'
  | 'VALIDATION'
  | 'UNAUTHORIZED'
  | 'PAYMENT_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'UNPROCESSABLE'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'CONNECTION'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'RECONNECT_REQUIRED'
  | 'CIRCUIT_OPEN'
  | 'INVALID_HOST';

export class AmoError extends Error {
  readonly code: AmoErrorCode;
  constructor(code: AmoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Max Retry-After we accept as a wait hint (longer values are surfaced, not slept on). */
export const MAX_RETRY_AFTER_MS = 60_000;

export class AmoApiError extends AmoError {
  readonly status: number;
  readonly problem: AmoProblem | undefined;
  readonly headers: Headers;
  /** `X-Request-Id` from the response, for support tickets. */
  readonly requestId: string | null;
  /** True when the body was an HTML page (nginx block / rate-limit page), not JSON. */
  readonly isHtml: boolean;

  constructor(
    status: number,
    problem: AmoProblem | undefined,
    headers: Headers,
    message: string,
    options?: { cause?: unknown; isHtml?: boolean; code?: AmoErrorCode },
  ) {
    super(options?.code ?? 'API_ERROR', message, options);
    this.status = status;
    this.problem = problem;
    this.headers = headers;
    this.requestId = headers.get('x-request-id');
    this.isHtml = options?.isHtml ?? false;
  }

  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }

  /** Pick the error class for a non-2xx response and parse its body safely (JSON, HTML or garbage). */
  static from(status: number, bodyText: string, headers: Headers): AmoApiError {
    const { problem, isHtml } = parseProblem(bodyText, headers);
    const message = describe(status, problem, isHtml);
    const opts = { isHtml };
    if (status === 400) return new AmoValidationError(status, problem, headers, message, opts);
    if (status === 401) return new AmoAuthError(status, problem, headers, message, opts);
    if (status === 402) return new AmoPaymentRequiredError(status, problem, headers, message, opts);
    if (status === 403) return new AmoForbiddenError(status, problem, headers, message, opts);
    if (status === 404) return new AmoNotFoundError(status, problem, headers, message, opts);
    if (status === 422) return new AmoUnprocessableError(status, problem, headers, message, opts);
    if (status === 429) return new AmoRateLimitError(status, problem, headers, message, opts);
    if (status >= 500) return new AmoServerError(status, problem, headers, message, opts);
    return new AmoApiError(status, problem, headers, message, opts);
  }
}

type ApiErrorArgs = ConstructorParameters<typeof AmoApiError>;

export interface ValidationErrors {
  requestId: string;
  errors: { code: string; path: string; detail: string }[];
}

/**
 * 400: the batch was rejected as a whole; `validationErrors` lists the failing items by request_id. amoCRM has a
 * second 400 shape ("Invalid request body": `errors` keyed by entity id, no `validation-errors`): `entityErrors`.
 */
export class AmoValidationError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'VALIDATION' });
  }
  get validationErrors(): ValidationErrors[] {
    const entries: ValidationErrorEntry[] = this.problem?.['validation-errors'] ?? [];
    return entries.map((e) => ({
      requestId: String(e.request_id),
      errors: (e.errors ?? []).map((x) => ({ code: x.code, path: x.path, detail: x.detail })),
    }));
  }
  /** The second shape: `[{ entityId: '11062353', message: 'Loss reason can be specified only for lost lead' }]`. */
  get entityErrors(): { entityId: string; message: string }[] {
    const e = this.problem?.errors;
    if (!e || typeof e !== 'object' || Array.isArray(e)) return [];
    return Object.entries(e).map(([entityId, m]) => ({ entityId, message: typeof m === 'string' ? m : JSON.stringify(m) }));
  }
}

/** 401: invalid/expired token. The client refreshes once and retries once before surfacing it. */
export class AmoAuthError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'UNAUTHORIZED' });
  }
  /** OAuth hint, e.g. "Token has been revoked". */
  get hint(): string | undefined {
    return this.problem?.hint;
  }
}

/** 402: subscription ended; writes are blocked at once, reads ~30 days later. */
export class AmoPaymentRequiredError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'PAYMENT_REQUIRED' });
  }
}

/** 403: no rights (admin-only method) or an account/IP block (often an HTML page after 429s). */
export class AmoForbiddenError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'FORBIDDEN' });
  }
}

export class AmoNotFoundError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'NOT_FOUND' });
  }
}

/** 422: e.g. more than 250 items in one request. */
export class AmoUnprocessableError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'UNPROCESSABLE' });
  }
}

/** 429. `retryAfterMs` comes from the Retry-After header, else JSON `retry_after` (seconds), else null. */
export class AmoRateLimitError extends AmoApiError {
  readonly retryAfterMs: number | null;
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'RATE_LIMITED' });
    this.retryAfterMs =
      parseRetryAfter(headers.get('retry-after')) ??
      (typeof problem?.retry_after === 'number' && problem.retry_after >= 0 ? problem.retry_after * 1000 : null);
  }
}

export class AmoServerError extends AmoApiError {
  constructor(...[status, problem, headers, message, options]: ApiErrorArgs) {
    super(status, problem, headers, message, { ...options, code: 'SERVER_ERROR' });
  }
}

/** No response at all. `neverSent` is true only when the request provably never reached the server. */
export class AmoConnectionError extends AmoError {
  readonly neverSent: boolean;
  constructor(message: string, options?: { cause?: unknown; neverSent?: boolean; code?: AmoErrorCode }) {
    super(options?.code ?? 'CONNECTION', message, options);
    this.neverSent = options?.neverSent ?? false;
  }
}

/** The request timed out; it may or may not have reached amoCRM. */
export class AmoTimeoutError extends AmoConnectionError {
  constructor(message = 'amoCRM request timed out', options?: { cause?: unknown }) {
    super(message, { ...options, neverSent: false, code: 'TIMEOUT' });
  }
}

/** The caller's AbortSignal fired. Never retried. */
export class AmoAbortedError extends AmoError {
  constructor(options?: { cause?: unknown }) {
    super('ABORTED', 'amoCRM request aborted by the caller', options);
  }
}

export type ReconnectReason =
  | 'no_tokens'
  | 'refresh_rejected'
  | 'no_refresh_token'
  | 'long_lived_rejected'
  | 'long_lived_expired'
  | 'no_oauth_credentials';

/** The account's authorization is gone; a human must reconnect (OAuth consent or a new long-lived token). */
export class AmoReconnectRequiredError extends AmoError {
  readonly reason: ReconnectReason;
  readonly hint: string | undefined;
  constructor(reason: ReconnectReason, hint?: string, options?: { cause?: unknown }) {
    super('RECONNECT_REQUIRED', `amoCRM reconnect required: ${reason}${hint ? ` (${hint})` : ''}`, options);
    this.reason = reason;
    this.hint = hint;
  }
}

/** Calls are refused locally because the account's circuit is open (block suspected). */
export class AmoCircuitOpenError extends AmoError {
  readonly openUntil: number;
  readonly reason: string | undefined;
  constructor(openUntil: number, reason?: string) {
    super('CIRCUIT_OPEN', `amoCRM circuit open until ${new Date(openUntil).toISOString()}`);
    this.openUntil = openUntil;
    this.reason = reason;
  }
}

export class AmoInvalidHostError extends AmoError {
  constructor(message: string) {
    super('INVALID_HOST', message);
  }
}

/** Retry-After: delta-seconds or an HTTP date. Returns ms (>= 0) or null when absent/unparseable. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === '') return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

function parseProblem(bodyText: string, headers: Headers): { problem: AmoProblem | undefined; isHtml: boolean } {
  const contentType = (headers.get('content-type') ?? '').toLowerCase();
  const trimmed = bodyText.trimStart();
  const isHtml = contentType.includes('text/html') || trimmed.startsWith('<');
  if (isHtml || trimmed === '') return { problem: undefined, isHtml };
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return { problem: parsed as AmoProblem, isHtml: false };
    }
  } catch {
    // not JSON: keep the status, drop the body
  }
  return { problem: undefined, isHtml: false };
}

function describe(status: number, problem: AmoProblem | undefined, isHtml: boolean): string {
  const parts = [`amoCRM ${status}`];
  if (problem?.title) parts.push(problem.title);
  // A 404 detail echoes the URL ("Cannot GET https://…?query=79121234567"): drop query strings, they may hold personal data.
  if (problem?.detail) parts.push(String(problem.detail).replace(/\?[^\s"']*/g, '?…'));
  if (problem?.hint) parts.push(`hint: ${problem.hint}`);
  // The second 400 shape says what is wrong only in `errors` (entity id → message): ids, never personal data.
  if (problem?.errors && typeof problem.errors === 'object' && !Array.isArray(problem.errors)) {
    const list = Object.entries(problem.errors).slice(0, 5).map(([id, m]) => `${id}: ${typeof m === 'string' ? m : JSON.stringify(m)}`);
    if (list.length) parts.push(list.join('; '));
  }
  if (!problem && isHtml) parts.push('(HTML body)');
  return parts.join(': ');
}

/** Coerce anything thrown into an Error. */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
