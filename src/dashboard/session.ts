// Sessions: a random 32-byte token in an HttpOnly, SameSite=Lax cookie (Secure behind HTTPS); the database holds
// only its sha256. Each session has its own CSRF token, which the front end sends in `x-csrf-token` on every
// state-changing call. Guards throw problems (401 / 403) that the app's one error handler answers.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database, DashboardRole } from '../db/index.js';
import { deleteSession, findSession, insertSession, type SessionUser } from './sql.js';
import { AppError } from '../errors.js';

export const SESSION_COOKIE = 'lb_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_MS = 7 * 24 * 3600_000;

export class DashboardAuthError extends AppError {
  constructor(
    readonly statusCode: 401 | 403 | 429,
    code: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(code, message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    dashboardUser?: SessionUser;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      // A forged cookie that is not valid percent-encoding is no session (not a 500).
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** HTTPS as seen by the client: the request itself (trustProxy decides X-Forwarded-Proto) or an https public URL. */
export function isSecure(req: FastifyRequest, publicUrl: string | undefined): boolean {
  return req.protocol === 'https' || (publicUrl ?? '').startsWith('https://');
}

function cookieHeader(value: string, maxAgeSec: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSec}`, ...(secure ? ['Secure'] : [])].join('; ');
}

export interface SessionDeps {
  db: Database;
  now: () => number;
  publicUrl?: string;
}

export async function startSession(deps: SessionDeps, reply: FastifyReply, req: FastifyRequest, userId: string): Promise<{ csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await insertSession(deps.db, { id: sha256(token), userId, csrfToken, expiresAt: new Date(deps.now() + SESSION_TTL_MS) });
  reply.header('set-cookie', cookieHeader(token, SESSION_TTL_MS / 1000, isSecure(req, deps.publicUrl)));
  return { csrfToken };
}

export async function endSession(deps: SessionDeps, reply: FastifyReply, req: FastifyRequest): Promise<void> {
  const token = readCookie(req, SESSION_COOKIE);
  if (token) await deleteSession(deps.db, sha256(token));
  reply.header('set-cookie', cookieHeader('', 0, isSecure(req, deps.publicUrl)));
}

export async function loadSession(deps: SessionDeps, req: FastifyRequest): Promise<SessionUser | undefined> {
  const token = readCookie(req, SESSION_COOKIE);
  if (!token || token.length > 200) return undefined;
  return findSession(deps.db, sha256(token), new Date(deps.now()));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfMatches(expected: string, got: string | string[] | undefined): boolean {
  if (typeof got !== 'string') return false;
  const a = Buffer.from(sha256(expected));
  const b = Buffer.from(sha256(got));
  return timingSafeEqual(a, b);
}

export type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * onRequest guard: a valid session (401 otherwise), the role when given (403), and on POST/PUT/PATCH/DELETE the
 * session's CSRF token in `x-csrf-token` (403 CSRF_TOKEN_INVALID).
 */
export function createSessionGuard(deps: SessionDeps): (role?: DashboardRole) => Guard {
  return (role) => async (req) => {
    const user = await loadSession(deps, req);
    if (!user) throw new DashboardAuthError(401, 'UNAUTHORIZED', 'sign in to the dashboard first');
    if (!SAFE_METHODS.has(req.method) && !csrfMatches(user.csrfToken, req.headers[CSRF_HEADER])) {
      throw new DashboardAuthError(403, 'CSRF_TOKEN_INVALID', `the ${CSRF_HEADER} header is missing or wrong`);
    }
    if (role === 'admin' && user.role !== 'admin') throw new DashboardAuthError(403, 'FORBIDDEN', 'this needs the admin role');
    req.dashboardUser = user;
  };
}
