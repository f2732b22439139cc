import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * onRequest hook for admin routes (before the body is parsed or validated): `Authorization: Bearer <LEADBRIDGE_ADMIN_TOKEN>`. Constant-time compare (hashes
 * have equal length, so length leaks nothing). No token configured → every admin request is refused.
 */
export function createAdminGuard(token: string | undefined): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return createTokenGuard([token], 'a valid admin bearer token is required');
}

/** The same check against any of several tokens (unset ones ignored), e.g. the metrics token or the admin token. */
export function createTokenGuard(tokens: (string | undefined)[], message: string): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = tokens.filter((t): t is string => Boolean(t)).map(digest);
  return async (req) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    const given = match?.[1] !== undefined ? digest(match[1]) : undefined;
    // Every candidate is compared (no early exit), each in constant time.
    const ok = given !== undefined && expected.map((e) => timingSafeEqual(given, e)).includes(true);
    if (!ok) {
      throw new HttpProblem(401, 'UNAUTHORIZED', message, undefined, {
        'www-authenticate': 'Bearer realm="leadbridge"',
      });
    }
  };
}
