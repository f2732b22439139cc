// The root pino logger (main.ts creates one). Secrets and personal data are redacted in ONE place.
import { pino, type Logger, type LoggerOptions } from 'pino';

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

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Paths only: query strings can carry OAuth codes and personal data.
      req: (req: { method?: string; url?: string; id?: unknown }) => ({ method: req.method, url: req.url?.split('?')[0], id: req.id }),
    },
  };
}

export function createLogger(level = 'info'): Logger {
  return pino(loggerOptions(level));
}
