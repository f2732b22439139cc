// Security headers on every answer (one onSend hook, no plugin): nosniff, a CSP, no framing, a referrer policy,
// and HSTS when the client reached us over HTTPS. Nothing Leadbridge serves is meant to be framed: the widget is a
// script that renders into the host page (no iframe) and the /l/* landing pages are top-level pages, so every
// answer says DENY / frame-ancestors 'none'. A route that sets its own CSP (the dashboard, Swagger UI) keeps it.
// CORS: only the intake surfaces are cross-origin (corsAllowed); admin, dashboard, analytics and everything else
// never get an Access-Control-Allow-Origin, whatever `cors.origins` says.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** JSON and text answers: nothing may load or frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** Server-rendered pages (/l/*): own scripts and styles only (inline CSS), forms post to us. */
export const PAGE_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
export const HSTS = 'max-age=31536000';

/**
 * HTTPS as the client sees it: the same rule as the dashboard's Secure cookie (src/dashboard/session.ts isSecure):
 * the request itself (trustProxy decides whether X-Forwarded-Proto counts) or an https public URL.
 */
export function servedOverHttps(req: FastifyRequest, publicUrl: string | undefined): boolean {
  return req.protocol === 'https' || (publicUrl ?? '').startsWith('https://');
}

/** The paths other origins may call from a browser: lead intake, the widget and its forms. */
export function corsAllowed(method: string, url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (/^\/api\/(leads\/?|crm)$/.test(path)) return method === 'POST' || method === 'OPTIONS';
  return path.startsWith('/api/forms/') || path === '/widget.js' || path.startsWith('/widget/');
}

export function securityHeaders(publicUrl: string | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const type = String(reply.getHeader('content-type') ?? '');
    const html = type.startsWith('text/html');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', html ? PAGE_CSP : API_CSP);
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', html ? 'strict-origin-when-cross-origin' : 'no-referrer');
    if (servedOverHttps(req, publicUrl)) reply.header('strict-transport-security', HSTS);
  };
}
