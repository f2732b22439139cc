// problem+json (RFC 9457) responses with a machine-readable `code`, from ONE error handler.
// Any thrown error with a 4xx `statusCode` and a string `code` (plus optional `errors: {field, code, message}[]`)
// is answered as-is, so domains can throw their own error classes (AppError subclasses, src/errors.ts) without
// importing http/. The check is on the shape, not the class: Fastify's plugins throw errors of the same shape.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { API_CSP } from './security.js';
import { AppError } from '../errors.js';

export interface ProblemFieldError {
  field: string;
  code: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  request_id: string;
  errors?: ProblemFieldError[];
}

/** Throw from routes/hooks for a ready-made problem (e.g. 401 UNAUTHORIZED). */
export class HttpProblem extends AppError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
    readonly errors?: ProblemFieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(code, message);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

// Fastify's own error codes → ours.
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
};

function kebab(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}

export function problem(status: number, code: string, requestId: string, extra: Partial<Problem> = {}): Problem {
  return { type: `urn:leadbridge:problem:${kebab(code)}`, title: TITLES[status] ?? 'Error', status, code, request_id: requestId, ...extra };
}

export function sendProblem(reply: FastifyReply, p: Problem, headers?: Record<string, string>): FastifyReply {
  if (headers) reply.headers(headers);
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(p));
}

function fieldOf(path: readonly PropertyKey[] | string | undefined): string {
  if (typeof path === 'string') return path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
  return path && path.length > 0 ? path.map(String).join('.') : '(root)';
}

/**
 * Schema validation failures → every bad field, with a code. fastify-type-provider-zod reports zod issues in ajv's
 * shape (`keyword` = the zod issue code, `instancePath` = its path), so one mapping serves both.
 */
function validationErrors(err: FastifyError): ProblemFieldError[] {
  return (err.validation ?? []).map((v) => ({
    field: fieldOf(v.instancePath),
    code: String(v.keyword ?? 'invalid').toUpperCase(),
    message: v.message ?? 'invalid',
  }));
}

/**
 * `instance` is the matched route's PATTERN (`/api/webhooks/amo/:secret`), never the URL: paths can hold secrets
 * (the webhook URL) and queries personal data, and no error body may echo either.
 */
function instanceOf(req: FastifyRequest): Partial<Problem> {
  const route = req.routeOptions?.url;
  return route ? { instance: route } : {};
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requestId = String(req.id);
  const instance = instanceOf(req);
  if (err.validation) {
    const body = err.validationContext === 'body';
    const status = body ? 422 : 400;
    return sendProblem(
      reply,
      problem(status, body ? 'VALIDATION_FAILED' : 'BAD_REQUEST', requestId, {
        detail: `invalid ${err.validationContext ?? 'request'}`,
        ...instance,
        errors: validationErrors(err),
      }),
    );
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return sendProblem(reply, problem(mapped[0], mapped[1], requestId, { detail: err.message, ...instance }));
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  const fastifyCode = typeof err.code === 'string' && err.code.startsWith('FST_');
  const ownCode = typeof err.code === 'string' && err.code !== '' && !fastifyCode;
  // A domain error that chose its status (4xx, or 502/503/504 for an upstream that failed) is answered as-is.
  if ((status >= 400 && status < 500) || (ownCode && status >= 502 && status <= 504)) {
    const code = ownCode ? err.code : defaultCode(status);
    // Fastify's own messages may quote the URL (FST_ERR_BAD_URL): they get the status title instead.
    const extra: Partial<Problem> = { detail: fastifyCode ? (TITLES[status] ?? 'Error') : err.message, ...instance };
    const fieldErrors = (err as { errors?: unknown }).errors;
    if (Array.isArray(fieldErrors)) extra.errors = fieldErrors as ProblemFieldError[];
    const headers = (err as { headers?: Record<string, string> }).headers;
    return sendProblem(reply, problem(status, code, requestId, extra), headers);
  }
  // Unknown: log it, answer with the request id only (no internals).
  req.log.error({ err }, 'request failed');
  return sendProblem(reply, problem(500, 'INTERNAL_ERROR', requestId, instance));
}

function defaultCode(status: number): string {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 413:
      return 'BODY_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    default:
      return 'BAD_REQUEST';
  }
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    reply,
    // The path is not echoed: a mistyped webhook URL still carries its secret.
    problem(404, 'NOT_FOUND', String(req.id), { detail: `no ${req.method} route for this path` }),
  );
}

/**
 * Fastify's answer to a request Node's HTTP parser refused (bad request line, headers too large, timeout): written
 * to the socket as problem+json, like every other error (Fastify's default is its own JSON shape).
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy(err);
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
  const code = status === 431 ? 'HEADERS_TOO_LARGE' : status === 408 ? 'REQUEST_TIMEOUT' : status === 414 ? 'URI_TOO_LONG' : 'MALFORMED_REQUEST';
  const body = JSON.stringify(problem(status, code, crypto.randomUUID(), { detail: TITLES[status] ?? 'the request could not be read' }));
  socket.end(
    `HTTP/1.1 ${status} ${TITLES[status] ?? 'Bad Request'}\r\nConnection: close\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n` +
      `Content-Security-Policy: ${API_CSP}\r\nReferrer-Policy: no-referrer\r\n\r\n${body}`,
  );
}

/**
 * onSend safety net: an error answer in bare text (a plugin's own reply, e.g. the CORS plugin's "Invalid
 * Preflight Request" 400) is rewritten into problem+json, so every error a client sees has the same shape.
 */
export async function problemOnSend(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const status = reply.statusCode;
  if (status < 400) return payload;
  // Only bare text (or nothing): an HTML error page (the OAuth callback's) and JSON bodies are meant as sent.
  const type = String(reply.getHeader('content-type') ?? '');
  if (type !== '' && !type.startsWith('text/plain')) return payload;
  const code = status >= 500 ? 'INTERNAL_ERROR' : defaultCode(status);
  reply.header('content-type', 'application/problem+json; charset=utf-8');
  reply.removeHeader('content-length');
  return JSON.stringify(problem(status, code, String(req.id), { detail: TITLES[status] ?? 'Error', ...instanceOf(req) }));
}
