// Which browser origins may post a form: the form's `allowed_origins` (default: `cors.origins`), '*' = any.
// The host's own pages (the /l/* landing pages) are always allowed. A request without Origin (a server, curl)
// is not a browser cross-origin request and is allowed; the source adapters have their own secrets.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export class OriginError extends AppError<'ORIGIN_NOT_ALLOWED'> {
  readonly statusCode = 403;
  constructor(origin: string) {
    super('ORIGIN_NOT_ALLOWED', `origin ${origin} may not post this form`);
  }
}

function sameHost(req: FastifyRequest, origin: string): boolean {
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function originAllowed(req: FastifyRequest, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || sameHost(req, origin)) return true;
  return allowed.some((a) => a.replace(/\/+$/, '').toLowerCase() === origin.toLowerCase());
}

/**
 * Sets this form's CORS answer (overriding the app-wide one) or throws 403 ORIGIN_NOT_ALLOWED without any
 * Access-Control-Allow-Origin header, so the browser cannot read the answer either.
 */
export function applyFormCors(req: FastifyRequest, reply: FastifyReply, allowed: string[]): void {
  const origin = req.headers.origin;
  reply.header('vary', 'Origin');
  if (!originAllowed(req, allowed)) {
    reply.removeHeader('access-control-allow-origin');
    throw new OriginError(origin ?? '');
  }
  if (origin !== undefined) reply.header('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
}
