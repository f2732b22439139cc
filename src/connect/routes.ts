// HTTP routes of the connection (issue #4), under both seed guides' URLs:
//   Asia Deals: GET /api/auth/amo (→ consent page), /api/auth/amo/callback, /api/auth/amo/status, /api/auth/amo/disable
//   FitZone:    GET /api/amocrm/auth ({auth_url}), GET /api/amocrm/callback (code → connect; no code → status),
//               POST /api/amocrm/callback {refresh_token} (admin), GET /api/amocrm/disable
//   Admin:      GET /api/admin/doctor
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DoctorReport } from '../provision/index.js';
import { ConnectError } from './errors.js';
import {
  authorizeUrl,
  completeCallback,
  handleDisableHook,
  importRefreshToken,
  type CallbackQuery,
  type FlowDeps,
} from './oauth-flow.js';
import { publicStatusView, statusView } from './status-view.js';
import type { ConnectionStatus } from './token-store.js';

export interface ConnectRoutesDeps extends FlowDeps {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  sandbox: boolean;
  /** The doctor report for GET /api/admin/doctor (omitted → the route is not registered). */
  doctor?: () => Promise<DoctorReport>;
}

const INSTALL_PATH = '/api/auth/amo';

const CallbackQuerySchema = z
  .object({
    code: z.string().max(4096).optional(),
    state: z.string().max(2048).optional(),
    referer: z.string().max(512).optional(),
    error: z.string().max(200).optional(),
    client_id: z.string().max(200).optional(),
  })
  .loose();

const DisableQuerySchema = z
  .object({ client_uuid: z.string().max(200).optional(), account_id: z.string().max(40).optional(), signature: z.string().max(200).optional() })
  .loose();

const ImportBodySchema = z.object({ refresh_token: z.string().min(10).max(8192), domain: z.string().max(255).optional() }).strict();

const StatusSchema = z.object({ connected: z.boolean(), state: z.string() }).loose();

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, message: string, ok: boolean): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>` +
    `<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto">` +
    `<h1>${ok ? '✓' : '✗'} ${esc(title)}</h1><p>${esc(message)}</p>` +
    `<p><a href="${INSTALL_PATH}">${ok ? 'Reconnect' : 'Try again'}</a> · <a href="${INSTALL_PATH}/status">Connection status</a></p>` +
    `</body></html>`
  );
}

const wantsHtml = (req: FastifyRequest): boolean => (req.headers.accept ?? '').includes('text/html');

export function connectRoutes(deps: ConnectRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const view = (s: ConnectionStatus) => statusView(s, { installUrl: INSTALL_PATH, sandbox: deps.sandbox });
    // The status routes are public: the account, host and token times only for the admin token.
    const statusFor = async (req: FastifyRequest, reply: FastifyReply) => {
      const s = await deps.conn.status();
      try {
        await deps.requireAdmin(req, reply);
      } catch {
        return publicStatusView(s, { installUrl: INSTALL_PATH, sandbox: deps.sandbox });
      }
      return view(s);
    };

    const callback = async (req: FastifyRequest, reply: FastifyReply, q: CallbackQuery) => {
      try {
        const status = await completeCallback(deps, q);
        req.log.info({ host: status.host, accountId: status.accountId }, 'amocrm connected through OAuth');
        if (wantsHtml(req)) {
          return reply.type('text/html; charset=utf-8').send(page('amoCRM connected', `Leadbridge is connected to ${status.host}. You can close this page.`, true));
        }
        return reply.send(view(status));
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        req.log.warn({ code: e.code }, 'amocrm callback refused');
        if (!wantsHtml(req)) throw e;
        const title = e.code === 'ACCESS_DENIED' ? 'Access was not granted' : 'amoCRM connection failed';
        return reply.code(e.statusCode).type('text/html; charset=utf-8').send(page(title, e.message, false));
      }
    };

    app.get(INSTALL_PATH, { schema: { tags: ['connect'], summary: 'Redirect to the amoCRM consent page (install link)' } }, async (req, reply) => {
      try {
        return reply.redirect(authorizeUrl(deps), 302);
      } catch (e) {
        if (!(e instanceof ConnectError) || !wantsHtml(req)) throw e;
        return reply.code(e.statusCode).type('text/html; charset=utf-8').send(page('amoCRM is not configured', e.message, false));
      }
    });
    app.get(
      '/api/amocrm/auth',
      { schema: { tags: ['connect'], summary: 'The amoCRM consent URL (FitZone)', response: { 200: z.object({ auth_url: z.string() }) } } },
      async () => ({ auth_url: authorizeUrl(deps) }),
    );
    app.get(
      `${INSTALL_PATH}/callback`,
      { schema: { tags: ['connect'], summary: 'OAuth redirect URI: state check, code exchange', querystring: CallbackQuerySchema } },
      async (req, reply) => callback(req, reply, req.query),
    );
    app.get(
      '/api/amocrm/callback',
      { schema: { tags: ['connect'], summary: 'OAuth redirect URI (FitZone); without a code: the connection status', querystring: CallbackQuerySchema } },
      async (req, reply) => {
        if (!req.query.code && !req.query.error) return statusFor(req, reply);
        return callback(req, reply, req.query);
      },
    );
    app.get(
      `${INSTALL_PATH}/status`,
      {
        schema: {
          tags: ['connect'],
          summary: 'Connection status: connected or not, and the install link; with the admin token also the account, expiry and last refresh',
          security: [{}, { bearerAuth: [] }],
          response: { 200: StatusSchema },
        },
      },
      async (req, reply) => statusFor(req, reply),
    );
    // The FitZone guide calls this from the browser page; with a token in the page anyone could replace the
    // connection, so it is admin-only, and the 401 says so (Leadbridge refreshes tokens by itself).
    const importGuard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      try {
        await deps.requireAdmin(req, reply);
      } catch {
        throw new ConnectError(
          'ADMIN_ONLY',
          401,
          'importing a refresh token is an admin action: call it from a server or curl with "Authorization: Bearer <LEADBRIDGE_ADMIN_TOKEN>", never from a browser page. ' +
            'You rarely need it: Leadbridge refreshes tokens by itself, and you connect by opening /api/auth/amo.',
        );
      }
    };
    app.post(
      '/api/amocrm/callback',
      {
        onRequest: importGuard,
        schema: {
          tags: ['connect'],
          summary: 'Import a refresh token (admin only; not from a browser)',
          description: 'The FitZone guide\'s browser-side call. Admin-only: without the admin bearer token it answers 401 ADMIN_ONLY.',
          body: ImportBodySchema,
          security: [{ bearerAuth: [] }],
        },
      },
      async (req) => {
        const status = await importRefreshToken(deps, {
          refreshToken: req.body.refresh_token,
          ...(req.body.domain ? { domain: req.body.domain } : {}),
        });
        req.log.info({ host: status.host }, 'amocrm refresh token imported');
        return view(status);
      },
    );
    for (const path of ['/api/amocrm/disable', `${INSTALL_PATH}/disable`]) {
      app.get(
        path,
        { schema: { tags: ['connect'], summary: 'amoCRM integration-disable hook (HMAC-signed)', querystring: DisableQuerySchema } },
        async (req) => {
          const result = await handleDisableHook(deps, req.query);
          if (result.disconnected) req.log.warn({ accountId: req.query.account_id }, 'amocrm integration disabled in the account');
          return { ok: true, ...result };
        },
      );
    }
    if (deps.doctor) {
      const doctor = deps.doctor;
      app.get(
        '/api/admin/doctor',
        { onRequest: deps.requireAdmin, schema: { tags: ['connect'], summary: 'The doctor checks as JSON (admin)', security: [{ bearerAuth: [] }] } },
        async (_req, reply) => {
          const report = await doctor();
          return reply.code(report.ok ? 200 : 503).send({ ok: report.ok, checks: report.results, text: report.text });
        },
      );
    }
  };
}
