// OAuth server: consent page, token endpoint (both grants), current-subdomain lookup (fact sheet §2).
import type { FastifyInstance } from 'fastify';
import type { EmuCtx } from './context.js';
import { fail, oauthProblem } from './problems.js';
import { ADMIN_USER_ID } from './seed.js';
import { isObj } from './validation.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function callbackUrl(ctx: EmuCtx, params: Record<string, string | undefined>): string {
  const url = new URL(ctx.config.redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export function oauthRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/oauth', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const clientId = typeof q.client_id === 'string' ? q.client_id : '';
      const state = typeof q.state === 'string' ? q.state : undefined;
      if (clientId !== ctx.config.clientId) return reply.code(400).type('text/html').send('<html><body><h1>Integration not found</h1></body></html>');
      if (ctx.opts.autoApprove) {
        const code = ctx.tokens.issueCode(ADMIN_USER_ID, true);
        return reply.redirect(callbackUrl(ctx, { code, referer: ctx.config.domain, state, client_id: clientId }), 302);
      }
      const hidden = `<input type="hidden" name="client_id" value="${esc(clientId)}">${state !== undefined ? `<input type="hidden" name="state" value="${esc(state)}">` : ''}`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html><head><title>amoCRM emulator: grant access</title></head><body>` +
            `<h1>Grant access to your account ${esc(ctx.config.domain)}?</h1>` +
            `<form method="post" action="/oauth/decide">${hidden}<button name="decision" value="approve" id="approve">Approve</button>` +
            `<button name="decision" value="deny" id="deny">Deny</button></form></body></html>`,
        );
    });

    app.post('/oauth/decide', async (req, reply) => {
      const b = isObj(req.body) ? req.body : {};
      const clientId = typeof b.client_id === 'string' ? b.client_id : '';
      const state = typeof b.state === 'string' ? b.state : undefined;
      if (clientId !== ctx.config.clientId) return reply.code(400).type('text/html').send('<html><body>Integration not found</body></html>');
      if (b.decision !== 'approve') return reply.redirect(callbackUrl(ctx, { error: 'access_denied', client_id: clientId, state }), 302);
      const code = ctx.tokens.issueCode(ADMIN_USER_ID, true);
      return reply.redirect(callbackUrl(ctx, { code, referer: ctx.config.domain, state, client_id: clientId }), 302);
    });

    app.post('/oauth2/access_token', async (req, reply) => {
      ctx.tokens.calls++;
      const b = isObj(req.body) ? req.body : {};
      const str = (k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
      if (str('client_id') !== ctx.config.clientId || str('client_secret') !== ctx.config.clientSecret) throw oauthProblem(401, 'Client authentication failed');
      if (str('redirect_uri') !== ctx.config.redirectUri) throw oauthProblem(400, 'Invalid redirect_uri');
      const grant = str('grant_type');
      if (grant === 'authorization_code') {
        const code = str('code');
        if (!code) throw oauthProblem(400, 'Check the `code` parameter');
        const rec = ctx.tokens.consumeCode(code);
        if (typeof rec === 'string') throw oauthProblem(400, rec);
        return reply.type('application/json').send(ctx.tokens.issuePair(rec.userId, rec.admin));
      }
      if (grant === 'refresh_token') {
        const token = str('refresh_token');
        if (!token) throw oauthProblem(400, 'Check the `refresh_token` parameter');
        const pair = ctx.tokens.rotate(token);
        if (typeof pair === 'string') throw oauthProblem(401, pair);
        return reply.type('application/json').send(pair);
      }
      throw oauthProblem(400, 'The authorization grant type is not supported by the authorization server.');
    });

    app.get('/oauth2/account/current/subdomain', async (req, reply) => {
      const t = req.headers['x-refresh-token'];
      if (typeof t !== 'string' || !ctx.tokens.refreshActive(t)) throw fail(401, 'Unauthorized');
      return reply.type('application/json').send({ id: ctx.config.accountId, subdomain: ctx.config.subdomain, domain: ctx.config.domain, top_level_domain: 'ru' });
    });
  };
}
