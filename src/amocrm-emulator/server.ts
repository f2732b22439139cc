// buildEmulator(): the Fastify app, its hooks (calls log, faults, rate limit, auth, 402, latency) and every route module.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import qs from 'qs';
import type { EmuCtx } from './context.js';
import { setAuth } from './context.js';
import { createControl } from './control.js';
import { createEffects } from './effects.js';
import { faultBody, FaultTable, sleep, type ActiveFault } from './faults.js';
import { baseUrl } from './hal.js';
import { oauthRoutes } from './oauth.js';
import type { BuiltEmulator, EmulatorConfig, EmulatorOptions } from './options.js';
import { EmuHttpError, fail, NGINX_HTML, problem } from './problems.js';
import { RateLimiter } from './rate-limit.js';
import { accountRoutes, userRoutes } from './routes/account.js';
import { companyRoutes } from './routes/companies.js';
import { complexRoutes } from './routes/complex.js';
import { contactRoutes } from './routes/contacts.js';
import { customFieldRoutes } from './routes/custom-fields.js';
import { eventRoutes } from './routes/events.js';
import { leadRoutes } from './routes/leads.js';
import { linkRoutes } from './routes/links.js';
import { noteRoutes } from './routes/notes.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { tagRoutes } from './routes/tags.js';
import { taskRoutes } from './routes/tasks.js';
import { unsortedRoutes } from './routes/unsorted.js';
import { webhookRoutes } from './routes/webhooks.js';
import { createStore, type CallRec } from './state.js';
import { loadStateFile, saveStateFile } from './state-file.js';
import { TokenRegistry } from './tokens.js';
import { WebhookSender } from './webhook-sender.js';


const BARE_TYPES = /^application\/(hal|problem)\+json;\s*charset=utf-8$/i;
const CHARSET = /;\s*charset=utf-8$/i;
export const DEFAULT_CLIENT_ID = '6f1c2e0a-3b7d-4c5e-9a8f-0e1d2c3b4a59';
export const DEFAULT_CLIENT_SECRET = 'emulator-client-secret-0123456789abcdefghijklmnopqrstuvwxyz';
export const DEFAULT_REDIRECT_URI = 'http://localhost:8000/api/auth/amo/callback';
export const ACCOUNT_ID = 31000001;
/** The call log keeps the most recent calls only, so long bench runs don't grow without bound. */
const MAX_CALLS = 50_000;

const callKey = Symbol('call');
const faultKey = Symbol('fault');
type Tagged = FastifyRequest & { [callKey]?: CallRec; [faultKey]?: ActiveFault };

export function resolveConfig(opts: EmulatorOptions): EmulatorConfig {
  const subdomain = opts.subdomain ?? 'demo';
  return {
    subdomain,
    domain: `${subdomain}.amocrm.ru`,
    accountId: ACCOUNT_ID,
    clientId: opts.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: opts.clientSecret ?? DEFAULT_CLIENT_SECRET,
    redirectUri: opts.redirectUri ?? DEFAULT_REDIRECT_URI,
  };
}

export async function buildEmulator(opts: EmulatorOptions = {}): Promise<BuiltEmulator> {
  const config = resolveConfig(opts);
  let offset = 0;
  const nowMs = (): number => (opts.now ?? Date.now)() + offset;
  const nowSec = (): number => Math.floor(nowMs() / 1000);
  const faults = new FaultTable();
  const limiter = opts.rateLimit === false ? undefined : new RateLimiter(opts.rateLimit ?? {});
  let publicBase = `https://${config.domain}`;

  const ctx = {} as EmuCtx & { opts: EmulatorOptions };
  const sender = new WebhookSender({
    getStore: () => ctx.store,
    config,
    nowMs,
    timeScale: opts.webhookTimeScale ?? 1,
    groupMs: opts.webhookGroupMs ?? 100,
    grouping: opts.webhookGrouping ?? 'per-item',
    duplicates: opts.webhookDuplicates ?? 0,
    reorderMs: opts.webhookReorderMs ?? 0,
    seed: opts.webhookSeed ?? 1,
  });
  Object.assign(ctx, {
    config,
    opts,
    store: createStore(config.accountId, nowSec()),
    tokens: new TokenRegistry(config, nowSec, opts.refreshMode ?? 'strict'),
    nowMs,
    nowSec,
  });
  ctx.effects = createEffects(() => ctx.store, nowSec, () => publicBase, sender);
  if (opts.stateFile) offset = loadStateFile(opts.stateFile, ctx) ?? 0;

  const app = Fastify({
    logger: opts.logger === undefined ? false : opts.logger,
    routerOptions: { querystringParser: (s: string) => qs.parse(s, { depth: 10, arrayLimit: 1000 }) as Record<string, unknown> },
    bodyLimit: 10 * 1024 * 1024,
    // Closing must not wait for requests a fault script is holding back (delayMs): cut every socket.
    forceCloseConnections: true,
  });

  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(fail(400, 'Syntax error'));
    }
  };
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, qs.parse(body.toString())));
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);

  app.addHook('onRequest', async (req: Tagged, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    publicBase = baseUrl(req);
    if (path.startsWith('/_emulator/')) return;
    const call: CallRec = { at: nowMs(), method: req.method, path, status: 0 };
    req[callKey] = call;
    ctx.store.calls.push(call);
    if (ctx.store.calls.length > MAX_CALLS) ctx.store.calls.splice(0, ctx.store.calls.length - MAX_CALLS);

    const fault = faults.take(req.method, path);
    if (fault && fault.when === 'after') req[faultKey] = fault;
    else if (fault) {
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.drop) {
        req.raw.socket.destroy();
        return reply.hijack();
      }
      if (fault.status !== undefined) {
        const { body, type } = faultBody(fault);
        return reply.code(fault.status).type(type).send(body);
      }
    }

    if (limiter?.isBlocked()) return reply.code(403).header('retry-after', String(limiter.blockedForSec())).type('text/html').send(NGINX_HTML(403, 'Forbidden'));
    if (!path.startsWith('/api/v4')) return;
    if (limiter) {
      const d = limiter.check(config.clientId);
      if (!d.ok) reply.header('retry-after', String(d.retryAfterSec));
      if (!d.ok && d.kind === 'blocked') return reply.code(403).type('text/html').send(NGINX_HTML(403, 'Forbidden'));
      if (!d.ok) {
        if (limiter.body === 'html') return reply.code(429).type('text/html').send(NGINX_HTML(429, 'Too Many Requests'));
        return reply
          .code(429)
          .type('application/problem+json')
          .send(JSON.stringify(problem(429, 'You have sent too many requests in a given amount of time. Please try again later.', { retry_after: 300 })));
      }
    }
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const rec = token ? ctx.tokens.checkAccess(token) : undefined;
    if (!rec || rec === 'expired') throw fail(401, rec === 'expired' ? 'Token has expired' : 'Invalid user name or password');
    setAuth(req, rec);
    if (ctx.store.paymentRequired && req.method !== 'GET') throw fail(402, 'Payment required');
  });

  app.addHook('onSend', async (req: Tagged, reply: FastifyReply, payload) => {
    const call = req[callKey];
    const fault = req[faultKey];
    let out = payload;
    if (fault) {
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.drop) {
        if (call) call.status = 0;
        req.raw.socket.destroy();
        return payload;
      }
      if (fault.status !== undefined) {
        const { body, type } = faultBody(fault);
        reply.code(fault.status).type(type);
        out = body;
      }
    }
    // amoCRM sends `application/hal+json` / `application/problem+json` with no parameters (RU docs); Fastify
    // appends a charset to every +json type, which strict third-party clients do not match.
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && BARE_TYPES.test(type)) reply.header('content-type', type.replace(CHARSET, ''));
    if (opts.latencyMs && req.url.startsWith('/api/v4')) await sleep(opts.latencyMs);
    if (call) call.status = reply.statusCode;
    if (call) reply.header('x-request-id', String(req.id));
    if (opts.stateFile && req.method !== 'GET') saveStateFile(opts.stateFile, ctx, offset);
    return out;
  });

  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof EmuHttpError) {
      return reply.code(error.status).type(error.contentType).send(typeof error.body === 'string' ? error.body : JSON.stringify(error.body));
    }
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    const detail = status < 500 ? (error as Error).message : 'Internal error';
    return reply.code(status).type('application/problem+json').send(JSON.stringify(problem(status, detail)));
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (patterns.some((p) => p.test(path))) {
      return reply.code(405).type('application/problem+json').send(JSON.stringify(problem(405, 'Method Not Allowed')));
    }
    return reply.code(404).type('application/problem+json').send(JSON.stringify(problem(404, `Cannot ${req.method} ${baseUrl(req)}${path}`)));
  });

  // Known route patterns, so an unknown method on a known path answers 405 like amoCRM (fact sheet §5.1).
  const patterns: RegExp[] = [];
  app.addHook('onRoute', (r) => {
    if (r.url.startsWith('/api/v4')) patterns.push(new RegExp(`^${r.url.replace(/:[^/]+/g, '[^/]+')}$`));
  });
  const control = createControl({ ctx, faults, limiter, sender, advance: (ms) => (offset += ms), resetClock: () => (offset = 0) });
  await app.register(control.routes);
  await app.register(oauthRoutes(ctx));
  for (const r of [
    accountRoutes,
    userRoutes,
    complexRoutes,
    unsortedRoutes,
    pipelineRoutes,
    leadRoutes,
    (c: EmuCtx) => contactRoutes(c, 'contact'),
    companyRoutes,
    customFieldRoutes,
    noteRoutes,
    taskRoutes,
    tagRoutes,
    linkRoutes,
    eventRoutes,
    webhookRoutes,
  ]) {
    await app.register(r(ctx));
  }
  app.addHook('onClose', async () => {
    await sender.close();
    if (opts.stateFile) saveStateFile(opts.stateFile, ctx, offset);
  });
  return { app, control: control.api, config };
}
