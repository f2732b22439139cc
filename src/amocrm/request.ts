// The request loop (one per client): circuit → rate limit → fetch with timeout → map errors → retry per retry.ts.
// Logs at debug with method, path (no query string: it may hold a phone), status, ms, attempt — never headers or bodies.
// With `audit`, one info line per call (`amocrm call`: method, path, query keys without values, status, ms, attempts,
// request id) — never a header, a body, a query value or a token.
import { randomUUID } from 'node:crypto';
import { CircuitBreaker } from './circuit.js';
import {
  AmoAbortedError,
  AmoApiError,
  AmoConnectionError,
  AmoError,
  AmoTimeoutError,
  toError,
} from './errors.js';
import { RateLimiter, defaultSleep, type Sleep } from './rate-limit.js';
import type { Reachability } from './reachability.js';
import { DEFAULT_MAX_RETRIES, retryAfterOf, retryDelayMs, shouldRetry } from './retry.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface AmoLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
}

/** Reported once per attempt that reached the network (or failed trying); for metrics. */
export interface AmoRequestInfo {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number | null;
  ms: number;
  attempt: number;
  /** Time spent waiting for the rate limiter before this attempt. */
  waitMs: number;
  errorCode?: string;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  opts?: RequestOptions;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  /** Parsed JSON; null for 204 or an empty body. */
  data: T | null;
}

export interface AmoHttp {
  send<T>(req: HttpRequest): Promise<HttpResponse<T>>;
}

export interface RequesterOptions {
  fetch?: FetchLike;
  limiter?: RateLimiter;
  circuit?: CircuitBreaker;
  logger?: AmoLogger;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
  timeoutMs?: number;
  maxRetries?: number;
  onRequest?: (info: AmoRequestInfo) => void;
  userAgent?: string;
  /** One info line per call through `logger` (default off in the SDK; the app turns it on, config `audit`). */
  audit?: boolean;
  /** Told whether each attempt got an answer (reachable) or none (unreachable). */
  reachability?: Reachability;
}

export const DEFAULT_TIMEOUT_MS = 20_000;

// Errors that prove no byte of the request reached the server.
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export class Requester implements AmoHttp {
  private readonly fetchFn: FetchLike;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  constructor(private readonly o: RequesterOptions = {}) {
    this.fetchFn = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? defaultSleep;
    this.random = o.random ?? Math.random;
  }

  async send<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const method = req.method.toUpperCase();
    if (!this.o.audit || !this.o.logger) return this.loop<T>(method, req);
    // Our id for this call, sent as X-Request-Id and logged, so a line can be matched to amoCRM's side.
    const requestId = req.headers?.['x-request-id'] ?? randomUUID();
    const started = this.now();
    const tries = { n: 0 };
    const line = (status: number | null, amoRequestId: string | null, error?: string): void =>
      this.o.logger?.info(
        {
          audit: 'amocrm',
          method,
          path: pathOf(req.url),
          ...queryKeys(req.url),
          status,
          ms: this.now() - started,
          attempts: tries.n,
          request_id: requestId,
          ...(amoRequestId ? { amo_request_id: amoRequestId } : {}),
          ...(error ? { error } : {}),
        },
        'amocrm call',
      );
    try {
      const res = await this.loop<T>(method, { ...req, headers: { ...req.headers, 'x-request-id': requestId } }, tries);
      line(res.status, res.headers.get('x-request-id'));
      return res;
    } catch (e) {
      const err = toError(e);
      line(err instanceof AmoApiError ? err.status : null, err instanceof AmoApiError ? err.requestId : null, err instanceof AmoError ? err.code : 'ERROR');
      throw err;
    }
  }

  private async loop<T>(method: string, req: HttpRequest, tries: { n: number } = { n: 0 }): Promise<HttpResponse<T>> {
    const maxRetries = req.opts?.maxRetries ?? this.o.maxRetries ?? DEFAULT_MAX_RETRIES;
    for (let attempt = 0; ; attempt++) {
      try {
        tries.n = attempt + 1;
        return await this.attempt<T>(method, req, attempt);
      } catch (e) {
        const err = toError(e);
        if (!shouldRetry(err, attempt, maxRetries, method)) throw err;
        const delay = retryDelayMs(attempt, retryAfterOf(err), this.random);
        this.o.logger?.debug(
          { method, path: pathOf(req.url), attempt, delayMs: delay, code: err instanceof AmoError ? err.code : undefined },
          'amocrm retry scheduled',
        );
        try {
          await this.sleep(delay, req.opts?.signal);
        } catch (abortReason) {
          throw new AmoAbortedError({ cause: abortReason });
        }
      }
    }
  }

  private async attempt<T>(method: string, req: HttpRequest, attempt: number): Promise<HttpResponse<T>> {
    const signal = req.opts?.signal;
    if (signal?.aborted) throw new AmoAbortedError({ cause: signal.reason });
    const probe = this.o.circuit?.enter() ?? false;
    let waitMs = 0;
    try {
      waitMs = (await this.o.limiter?.acquire(signal)) ?? 0;
    } catch (abortReason) {
      this.o.circuit?.onNoResponse(probe);
      throw new AmoAbortedError({ cause: abortReason });
    }
    // Re-check after the slot wait: a listener added below to an already-aborted signal would never fire, and the
    // claim deadline and stop() rely on an abort stopping the send.
    if (signal?.aborted) {
      this.o.circuit?.onNoResponse(probe);
      throw new AmoAbortedError({ cause: signal.reason });
    }

    const path = pathOf(req.url);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.o.userAgent ?? 'leadbridge-amocrm/0.1',
      ...req.headers,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }

    const timeoutMs = req.opts?.timeoutMs ?? this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, timeoutMs);
    const onAbort = (): void => ctrl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const started = this.now();
    const report = (status: number | null, errorCode?: string): void => {
      const ms = this.now() - started;
      this.o.logger?.debug({ method, path, status, ms, attempt }, 'amocrm request');
      this.o.onRequest?.({ method, path, status, ms, attempt, waitMs, ...(errorCode ? { errorCode } : {}) });
    };

    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(req.url, { method, headers, body, signal: ctrl.signal });
      text = await res.text();
    } catch (e) {
      this.o.circuit?.onNoResponse(probe);
      const err = timedOut
        ? new AmoTimeoutError(`amoCRM request timed out after ${timeoutMs} ms`, { cause: e })
        : signal?.aborted
          ? new AmoAbortedError({ cause: e })
          : new AmoConnectionError('amoCRM connection failed', { cause: e, neverSent: isNeverSent(e) });
      report(null, err instanceof AmoError ? err.code : 'CONNECTION');
      if (err instanceof AmoConnectionError) this.o.reachability?.failed(err.code);
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    this.o.reachability?.answered();
    if (res.status >= 200 && res.status < 300) {
      this.o.circuit?.onResponse(res.status, false, probe);
      report(res.status);
      return { status: res.status, headers: res.headers, data: parseJson<T>(res.status, text, res.headers) };
    }
    const err = AmoApiError.from(res.status, text, res.headers);
    this.o.circuit?.onResponse(res.status, err.isHtml, probe);
    report(res.status, err.code);
    throw err;
  }
}

function parseJson<T>(status: number, text: string, headers: Headers): T | null {
  if (status === 204 || text.trim() === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new AmoApiError(status, undefined, headers, `amoCRM ${status}: response is not valid JSON`, { cause: e });
  }
}

/** Walk the cause chain (undici wraps socket errors as `TypeError: fetch failed` → cause, maybe AggregateError). */
function isNeverSent(e: unknown): boolean {
  const seen = new Set<unknown>();
  const check = (x: unknown): boolean => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && NEVER_SENT_CODES.has(code)) return true;
    if (x instanceof AggregateError && x.errors.length > 0) return x.errors.every((inner) => check(inner));
    return check((x as { cause?: unknown }).cause);
  };
  return check(e);
}

/** The query's parameter names only (`?query=+7912…&limit=50` → `query: ['query', 'limit']`): values may be personal. */
function queryKeys(url: string): { query?: string[] } {
  try {
    const keys = [...new Set(new URL(url).searchParams.keys())];
    return keys.length > 0 ? { query: keys } : {};
  } catch {
    return {};
  }
}

export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}
