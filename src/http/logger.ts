// The root pino logger (main.ts creates one). Secrets and personal data are redacted in ONE place.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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
    },
  };
}

/** JSON lines to stdout (pino's default synchronous destination), or to `destination` (the bench: /dev/null). */
export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
