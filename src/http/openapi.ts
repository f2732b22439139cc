// The OpenAPI document behind /docs: our own title, description and version, every error a route can answer as
// problem+json (with its code), real examples on the intake calls, and the form-encoded bodies the intake accepts.
// Only the document changes here: swagger's `transform` never touches validation or serialization at runtime.
import { readFileSync } from 'node:fs';
import type { FastifySchema, RouteOptions } from 'fastify';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const OPENAPI_INFO = {
  title: 'Leadbridge API',
  version: pkg.version,
  description: [
    'Self-hosted bridge from website forms to amoCRM (Kommo). A lead is stored **before** the answer (`202 {id, status}`)',
    'and delivered into amoCRM as contact + deal exactly once.',
    '',
    '- Leads: `POST /api/leads` (JSON or `application/x-www-form-urlencoded`), the FitZone alias `POST /api/crm`.',
    '  Anonymous posts are limited per client IP; a server-to-server caller sends `X-Api-Key` (config `api_keys`) and',
    '  gets its own limit.',
    '- Admin routes need `Authorization: Bearer <LEADBRIDGE_ADMIN_TOKEN>` (generated and printed at the first sandbox start).',
    '- Every error is `application/problem+json` with a machine-readable `code`.',
  ].join('\n'),
};

/** RFC 9457 problem details as Leadbridge sends them (src/http/problem.ts). */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', example: 'urn:leadbridge:problem:validation-failed' },
    title: { type: 'string', example: 'Unprocessable Content' },
    status: { type: 'integer', example: 422 },
    code: { type: 'string', description: 'Machine-readable error code', example: 'VALIDATION_FAILED' },
    detail: { type: 'string', example: 'the lead has invalid fields' },
    request_id: { type: 'string', description: 'Also in the x-request-id header and the log line', example: '5b0c3f6e-0d7a-4f4e-9c57-3f1d2a8e9b10' },
    errors: {
      type: 'array',
      description: 'Every invalid field (422 VALIDATION_FAILED)',
      items: {
        type: 'object',
        required: ['field', 'code', 'message'],
        properties: {
          field: { type: 'string', example: 'phone' },
          code: { type: 'string', example: 'PHONE_INVALID' },
          message: { type: 'string', example: 'not a valid phone number' },
        },
      },
    },
  },
} as const;

interface ProblemDoc {
  description: string;
  code: string;
  detail: string;
  errors?: { field: string; code: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error',
};

const PROBLEMS: Record<number, ProblemDoc> = {
  400: { description: 'The body or query cannot be read (MALFORMED_BODY, BAD_REQUEST)', code: 'MALFORMED_BODY', detail: 'the request body must be a JSON object or a form' },
  401: { description: 'Missing or wrong bearer token (UNAUTHORIZED)', code: 'UNAUTHORIZED', detail: 'a valid admin bearer token is required' },
  404: { description: 'No such resource (NOT_FOUND, LEAD_NOT_FOUND …)', code: 'NOT_FOUND', detail: 'no lead with this id' },
  413: { description: 'The body is larger than intake.body_limit_bytes (BODY_TOO_LARGE)', code: 'BODY_TOO_LARGE', detail: 'the request body is too large' },
  415: { description: 'Neither JSON nor a form (UNSUPPORTED_MEDIA_TYPE)', code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'unsupported content type' },
  422: {
    description: 'Invalid fields, every one listed in `errors` (VALIDATION_FAILED, FORM_UNKNOWN …)',
    code: 'VALIDATION_FAILED',
    detail: 'the lead has invalid fields',
    errors: [{ field: 'phone', code: 'PHONE_INVALID', message: 'not a valid phone number' }],
  },
  429: { description: 'Over the rate limit; retry after the Retry-After header (RATE_LIMITED)', code: 'RATE_LIMITED', detail: 'too many requests; retry in 42 s' },
  500: { description: 'Unexpected error; nothing about it is in the answer, the log has it by request_id (INTERNAL_ERROR)', code: 'INTERNAL_ERROR', detail: 'internal error' },
};

function problemResponse(status: number, doc: ProblemDoc, override: Partial<ProblemDoc> = {}) {
  const d = { ...doc, ...override };
  const kebab = d.code.toLowerCase().replace(/_/g, '-');
  const example = {
    type: `urn:leadbridge:problem:${kebab}`,
    title: TITLES[status] ?? 'Error',
    status,
    code: d.code,
    detail: d.detail,
    request_id: '5b0c3f6e-0d7a-4f4e-9c57-3f1d2a8e9b10',
    ...(d.errors ? { errors: d.errors } : {}),
  };
  return {
    description: d.description,
    ...(status === 429 ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds until the limit resets' } } } : {}),
    content: { 'application/problem+json': { schema: { ...PROBLEM_SCHEMA, example } } },
  };
}

const LEAD_EXAMPLE = {
  form: 'asia-deals',
  name: 'Тест Тестов',
  phone: '+79001234567',
  email: 'test@example.com',
  utm_source: 'google',
  utm_medium: 'cpc',
  utm_campaign: 'asia_deals_test',
  consent: { given: true, text_version: '2026-09-01' },
};
const CRM_EXAMPLE = { name: 'Иван Иванов', phone: '+7 (999) 123-45-67', direction: 'Йога', message: 'Хочу записаться на тренировку' };
const ACCEPTED_EXAMPLE = { id: '0b6f1c9e-2f4a-4c1e-9d3b-6a7e8f901234', status: 'pending' };

/** The intake routes: form bodies too, real examples, and the API-key 401. */
const INTAKE: Record<string, { example: Record<string, unknown> }> = {
  '/api/leads': { example: LEAD_EXAMPLE },
  '/api/leads/': { example: LEAD_EXAMPLE },
  '/api/crm': { example: CRM_EXAMPLE },
};

type Schema = FastifySchema & {
  security?: Record<string, string[]>[];
  consumes?: string[];
  response?: Record<string, unknown>;
  body?: Record<string, unknown>;
};

function methodsOf(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
}

/** Adds the problem responses (and, for the intake, form bodies and examples) to one route's documented schema. */
export function documentRoute(schema: Schema, url: string, route: RouteOptions): Schema {
  const out: Schema = { ...schema, response: { ...(schema.response ?? {}) } };
  const response = out.response as Record<string, unknown>;
  const add = (status: number, override?: Partial<ProblemDoc>) => {
    const doc = PROBLEMS[status];
    if (doc && response[status] === undefined) response[status] = problemResponse(status, doc, override);
  };
  const methods = methodsOf(route);
  const hasBody = methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH');
  const security = schema.security ?? [];
  const authRequired = security.length > 0 && !security.some((s) => Object.keys(s).length === 0);
  const intake = INTAKE[url];
  if (hasBody || schema.querystring) add(400);
  if (authRequired) add(401);
  if (intake) add(401, { description: 'X-Api-Key matches no configured key (API_KEY_INVALID); send none for the per-IP limit', code: 'API_KEY_INVALID', detail: 'the X-Api-Key header matches no configured API key' });
  if (url.includes(':')) add(404);
  if (hasBody) {
    add(413);
    add(415);
    add(422);
  } else if (schema.querystring || schema.params) {
    add(422, { description: 'Invalid query or path parameters, every one listed in `errors` (VALIDATION_FAILED)', errors: [{ field: 'from', code: 'INVALID_FORMAT', message: 'expected a date' }] });
  }
  const config = route.config as { rateLimit?: unknown } | undefined;
  if (config?.rateLimit) add(429);
  add(500);

  if (intake) {
    out.consumes = ['application/json', 'application/x-www-form-urlencoded'];
    if (out.body) out.body = { ...out.body, examples: [intake.example] };
    for (const code of ['200', '202']) {
      const r = response[code] as Record<string, unknown> | undefined;
      if (r && typeof r === 'object') response[code] = { ...r, examples: [ACCEPTED_EXAMPLE], description: code === '202' ? 'Stored; delivery follows' : 'The same lead again (Idempotency-Key)' };
    }
    out.headers = {
      type: 'object',
      properties: {
        'idempotency-key': { type: 'string', description: 'A resubmit with the same key returns the same lead (200)', example: 'order-2026-12-02-0001' },
        'x-api-key': { type: 'string', description: 'Server-to-server callers: a key from `api_keys` (its own limit, names the source)', example: 'k3y-from-SITE_BACKEND_API_KEY' },
      },
    };
  }
  return out;
}

/** Wraps the zod transform (`jsonSchemaTransform`) for @fastify/swagger's `transform` option. */
export function openapiTransform<I extends { schema: FastifySchema; url: string; route: RouteOptions }>(
  base: (input: I) => { schema: FastifySchema; url: string },
): (input: I) => { schema: FastifySchema; url: string } {
  return (input) => {
    const out = base(input);
    if (!out.schema || (out.schema as { hide?: boolean }).hide) return out;
    return { ...out, schema: documentRoute(out.schema as Schema, out.url, input.route) };
  };
}
