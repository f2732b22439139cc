// problem+json (RFC 9457) responses with a machine-readable `code`, from ONE error handler.
// Any thrown error with a 4xx `statusCode` and a string `code` (plus optional `errors: {field, code, message}[]`)
// is answered as-is, so domains can throw their own error classes without importing http/.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

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
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly errors?: ProblemFieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpProblem';
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
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
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

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requestId = String(req.id);
  const instance = req.url.split('?')[0] ?? req.url;
  if (err.validation) {
    const body = err.validationContext === 'body';
    const status = body ? 422 : 400;
    return sendProblem(
      reply,
      problem(status, body ? 'VALIDATION_FAILED' : 'BAD_REQUEST', requestId, {
        detail: `invalid ${err.validationContext ?? 'request'}`,
        instance,
        errors: validationErrors(err),
      }),
    );
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return sendProblem(reply, problem(mapped[0], mapped[1], requestId, { detail: err.message, instance }));
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = typeof err.code === 'string' && !err.code.startsWith('FST_') ? err.code : defaultCode(status);
    const extra: Partial<Problem> = { detail: err.message, instance };
    const fieldErrors = (err as { errors?: unknown }).errors;
    if (Array.isArray(fieldErrors)) extra.errors = fieldErrors as ProblemFieldError[];
    const headers = (err as { headers?: Record<string, string> }).headers;
    return sendProblem(reply, problem(status, code, requestId, extra), headers);
  }
  // Unknown: log it, answer with the request id only (no internals).
  req.log.error({ err }, 'request failed');
  return sendProblem(reply, problem(500, 'INTERNAL_ERROR', requestId, { instance }));
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
    problem(404, 'NOT_FOUND', String(req.id), { detail: `no route ${req.method} ${req.url.split('?')[0]}`, instance: req.url.split('?')[0] ?? '' }),
  );
}
