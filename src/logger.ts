// The root pino logger (main.ts and each CLI command create one). Secrets and personal data are redacted in ONE place.
// At the root of src/ and light on purpose: pino only, no Fastify, so a worker or a CLI command logs without loading
// the HTTP stack (.dependency-cruiser.cjs rule `shared-pieces-stand-alone`).
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'token',
  'tokens',
  '*.token',
  '*.tokens',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.longLivedToken',
  '*.clientSecret',
  '*.client_secret',
  '*.secret',
  'phone',
  'email',
  '*.phone',
  '*.email',
  'lead.name',
  'contact.name',
  'body',
  '*.body',
];

// Drizzle appends a failed query's parameters to the error message ("…\nparams: +7912…,Ivan"), and keeps them as
// `params`; PostgreSQL's `detail` can quote the values of a violated key. All can be personal data.
const QUERY_PARAMS = /\nparams: [\s\S]*?(?=\n\s+at |$)/g;
const VALUE_PROPS = ['params', 'detail', 'where', 'parameters'];

const scrub = (v: string | undefined) => v?.replace(QUERY_PARAMS, '\nparams: [redacted]');

/** Errors as JSON (type, message, stack, own fields, causes) minus query parameters and database value details. */
export function serializeError(e: unknown, depth = 0): unknown {
  if (!(e instanceof Error)) return e;
  const out: Record<string, unknown> = { type: e.constructor.name, message: scrub(e.message), stack: scrub(e.stack) };
  for (const [k, v] of Object.entries(e)) {
    if (k === 'cause' || k === 'message' || k === 'stack') continue;
    out[k] = VALUE_PROPS.includes(k) ? '[redacted]' : v;
  }
  if (e.cause !== undefined) out.cause = depth < 5 ? serializeError(e.cause, depth + 1) : '[deeper causes omitted]';
  return out;
}

/** A request URL fit for logs: no query string, and the webhook secret path segment masked. */
export function safeUrl(url: string | undefined): string | undefined {
  return url?.split('?')[0]?.replace(/^(\/api\/webhooks\/amo\/)[^/]+/, '$1[redacted]');
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Paths only: query strings can carry OAuth codes, webhook secrets and personal data.
      req: (req: { method?: string; url?: string; id?: unknown }) => ({ method: req.method, url: safeUrl(req.url), id: req.id }),
      err: serializeError,
    },
  };
}

/** JSON lines to stdout (pino's default synchronous destination), or to `destination` (the bench: /dev/null). */
export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
