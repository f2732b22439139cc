// /api/dashboard/*: sign in, the current session, sign out, and the admin actions of the dashboard (replay a
// dead lead). Sign-in accepts JSON only, so a cross-site HTML form cannot post it (login CSRF); every other
// state-changing call needs the session's CSRF token.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { AppError } from '../errors.js';
import { signIn } from './login.js';
import { createSessionGuard, DashboardAuthError, endSession, loadSession, startSession } from './session.js';

export interface DashboardRouteDeps {
  db: Database;
  now: () => number;
  publicUrl?: string;
  /** Requeues one failed/dead/held lead (delivery's replay); false when the lead cannot be replayed. */
  replay: (leadId: string, by: string) => Promise<'replayed' | 'not_found' | 'not_replayable'>;
}

/** A dashboard action that cannot be done (404, 409), answered as problem+json with its code. */
export class DashboardActionError extends AppError<'LEAD_NOT_FOUND' | 'LEAD_NOT_REPLAYABLE'> {
  constructor(
    code: 'LEAD_NOT_FOUND' | 'LEAD_NOT_REPLAYABLE',
    readonly statusCode: 404 | 409,
    message: string,
  ) {
    super(code, message);
  }
}

const SessionView = z.object({ email: z.string(), role: z.enum(['admin', 'viewer']), csrfToken: z.string() });
const common = { tags: ['dashboard'] };

export function dashboardRoutes(deps: DashboardRouteDeps): FastifyPluginAsync {
  const sessions = { db: deps.db, now: deps.now, ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) };
  const guard = createSessionGuard(sessions);
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/api/dashboard/login',
      {
        schema: {
          ...common,
          summary: 'Sign in with email and password; sets the HttpOnly session cookie',
          body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
          response: { 200: SessionView },
        },
        onRequest: async (req) => {
          if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
            throw new DashboardAuthError(403, 'JSON_REQUIRED', 'sign in with a JSON body (application/json)');
          }
        },
      },
      async (req, reply) => {
        const user = await signIn(deps, { email: req.body.email, password: req.body.password, ip: req.ip });
        const { csrfToken } = await startSession(sessions, reply, req, user.userId);
        return { email: user.email, role: user.role, csrfToken };
      },
    );
    app.get('/api/dashboard/session', { schema: { ...common, summary: 'The signed-in user and the CSRF token', response: { 200: SessionView } } }, async (req) => {
      const s = await loadSession(sessions, req);
      if (!s) throw new DashboardAuthError(401, 'UNAUTHORIZED', 'not signed in');
      return { email: s.email, role: s.role, csrfToken: s.csrfToken };
    });
    app.post('/api/dashboard/logout', { schema: { ...common, summary: 'Sign out (ends the session)' }, onRequest: guard() }, async (req, reply) => {
      await endSession(sessions, reply, req);
      return reply.code(204).send();
    });
    app.post(
      '/api/dashboard/leads/:id/replay',
      { schema: { ...common, summary: 'Admin: requeue a failed, dead or held lead', params: z.object({ id: z.string().max(64) }) }, onRequest: guard('admin') },
      async (req) => {
        const r = await deps.replay(req.params.id, `dashboard:${req.dashboardUser?.email ?? ''}`);
        if (r === 'not_found') throw new DashboardActionError('LEAD_NOT_FOUND', 404, 'no lead with this id');
        if (r === 'not_replayable') throw new DashboardActionError('LEAD_NOT_REPLAYABLE', 409, 'only a failed, dead or held lead can be replayed');
        return { replayed: [req.params.id], count: 1 };
      },
    );
  };
}
