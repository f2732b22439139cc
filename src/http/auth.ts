import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * onRequest hook for admin routes (before the body is parsed or validated): `Authorization: Bearer <LEADBRIDGE_ADMIN_TOKEN>`. Constant-time compare (hashes
 * have equal length, so length leaks nothing). No token configured → every admin request is refused.
 */
export function createAdminGuard(token: string | undefined): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = token ? digest(token) : undefined;
  return async (req) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    const ok = expected !== undefined && match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
    if (!ok) {
      throw new HttpProblem(401, 'UNAUTHORIZED', 'a valid admin bearer token is required', undefined, {
        'www-authenticate': 'Bearer realm="leadbridge"',
      });
    }
  };
}
