// Serves the built front end (dist/web, made by `npm run build:web`, never committed) at /dashboard/: hashed
// assets with a year's immutable cache, index.html with no-cache as the SPA fallback; `/` redirects here.
// Everything is same-origin (the chart library is bundled), so the CSP allows only 'self'.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIST = fileURLToPath(new URL('../../dist/web', import.meta.url));

export const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export async function registerUi(app: FastifyInstance, dir: string = WEB_DIST): Promise<void> {
  const indexFile = join(dir, 'index.html');
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/dashboard/'));
  if (existsSync(join(dir, 'assets'))) {
    await app.register(fastifyStatic, { root: join(dir, 'assets'), prefix: '/dashboard/assets/', immutable: true, maxAge: '365d', decorateReply: false, index: false });
  }
  let html: string | undefined;
  app.get('/dashboard/*', { schema: { hide: true } }, async (_req, reply) => {
    html ??= existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;
    if (!html) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built. Run `npm run build:web` (npm install runs it) and restart.\n');
    }
    return reply.header('cache-control', 'no-cache').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').type('text/html; charset=utf-8').send(html);
  });
}
