// GET /api/webhooks/whatsapp: Meta's subscription handshake (hub.challenge echoed for the right verify token).
// POST /api/webhooks/whatsapp: X-Hub-Signature-256 checked over the raw bytes (an encapsulated buffer parser:
// the app's JSON parser never sees the body) → 401 and nothing stored; then the raw body, its items, the state
// changes and the domain events are written in one transaction and Meta gets its 200.
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { whatsappWebhooks, type Database } from '../db/index.js';
import { applyPayload, parsePayload, signatureValid, WebhookPayloadError, type StopRules } from './webhook.js';

export interface WhatsAppWebhookLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface WhatsAppWebhookDeps extends StopRules {
  db: Database;
  /** The amoCRM account the events belong to. */
  account: string;
  /** WHATSAPP_APP_SECRET (App Dashboard → App settings → Basic). Unset: every POST is refused. */
  appSecret: string;
  /** WHATSAPP_VERIFY_TOKEN: the string typed into the dashboard with the callback URL. Unset: GET is refused. */
  verifyToken: string;
  /** WHATSAPP_PHONE_NUMBER_ID: changes for other numbers of the WABA are kept raw but not applied. */
  phoneNumberId?: string;
  logger?: WhatsAppWebhookLogger;
  /** Max body bytes (default 4 MiB; Meta sends up to 3 MB). */
  bodyLimit?: number;
  /** Called after a body is committed (e.g. to wake a consumer). */
  onStored?: (webhookId: number) => void;
  now?: () => Date;
}

export const WEBHOOK_PATH = '/api/webhooks/whatsapp';

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 413: 'Payload Too Large' };

function problem(reply: FastifyReply, req: FastifyRequest, status: number, code: string, detail: string): FastifyReply {
  const type = `urn:leadbridge:problem:${code.toLowerCase().replace(/_/g, '-')}`;
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify({ type, title: TITLES[status] ?? 'Error', status, code, detail, request_id: String(req.id) }));
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
function tokenMatches(given: unknown, expected: string): boolean {
  if (!expected || typeof given !== 'string') return false;
  return digest(given).equals(digest(expected)) && given === expected;
}

export function whatsappWebhookRoutes(deps: WhatsAppWebhookDeps): FastifyPluginAsync {
  return async (app) => {
    const bodyLimit = deps.bodyLimit ?? 4 * 1024 * 1024;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

    app.get(
      WEBHOOK_PATH,
      { schema: { tags: ['webhooks'], summary: 'WhatsApp webhook verification: hub.mode=subscribe + hub.verify_token → hub.challenge (text/plain), else 403' } },
      async (req, reply) => {
        const q = (req.query ?? {}) as Record<string, unknown>;
        if (q['hub.mode'] !== 'subscribe' || !tokenMatches(q['hub.verify_token'], deps.verifyToken)) {
          // Never the query's own text in the log (anyone can send it).
          deps.logger?.warn({ ip: req.ip, subscribe: q['hub.mode'] === 'subscribe' }, 'whatsapp webhook verification refused');
          return problem(reply, req, 403, 'WHATSAPP_VERIFY_TOKEN_INVALID', 'hub.mode must be "subscribe" and hub.verify_token must equal WHATSAPP_VERIFY_TOKEN');
        }
        const challenge = q['hub.challenge'];
        return reply.type('text/plain; charset=utf-8').send(typeof challenge === 'string' ? challenge : '');
      },
    );

    app.post(
      WEBHOOK_PATH,
      {
        bodyLimit,
        schema: {
          tags: ['webhooks'],
          summary: 'WhatsApp Cloud API webhook (statuses, inbound messages, user_preferences); X-Hub-Signature-256 over the raw body, else 401',
        },
      },
      async (req, reply) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const header = req.headers['x-hub-signature-256'];
        if (!signatureValid(raw, header, deps.appSecret)) {
          const missing = typeof header !== 'string' || header === '';
          deps.logger?.warn({ ip: req.ip, reason: missing ? 'missing' : 'wrong', bytes: raw.length }, 'whatsapp webhook refused: bad signature');
          return problem(
            reply,
            req,
            401,
            missing ? 'WHATSAPP_SIGNATURE_MISSING' : 'WHATSAPP_SIGNATURE_INVALID',
            missing ? 'X-Hub-Signature-256 is missing' : 'X-Hub-Signature-256 does not match the body (HMAC-SHA256 with WHATSAPP_APP_SECRET)',
          );
        }
        const body = raw.toString('utf8');
        let payload;
        try {
          payload = parsePayload(body);
        } catch (err) {
          const code = err instanceof WebhookPayloadError ? err.code : 'MALFORMED_JSON';
          // Signed by Meta (or by someone holding the secret): keep it for inspection. PostgreSQL text cannot hold NUL.
          const [row] = await deps.db
            .insert(whatsappWebhooks)
            .values({ account: deps.account, status: 'malformed', body: body.replaceAll('\u0000', '\uFFFD'), errorCode: code })
            .returning({ id: whatsappWebhooks.id });
          deps.logger?.warn({ webhookId: row?.id, code, bytes: raw.length }, 'malformed whatsapp webhook kept');
          return problem(reply, req, 400, `WHATSAPP_${code}`, err instanceof Error ? err.message : 'unparsable body');
        }
        const result = await deps.db.transaction(async (tx) => {
          const [row] = await tx
            .insert(whatsappWebhooks)
            .values({ account: deps.account, status: 'processed', body: body.replaceAll('\u0000', '\uFFFD') })
            .returning({ id: whatsappWebhooks.id });
          const id = row!.id;
          const r = await applyPayload(tx, payload, id, {
            account: deps.account,
            ...(deps.phoneNumberId ? { phoneNumberId: deps.phoneNumberId } : {}),
            ...(deps.stopWords ? { stopWords: deps.stopWords } : {}),
            ...(deps.stopPayloads ? { stopPayloads: deps.stopPayloads } : {}),
            ...(deps.now ? { now: deps.now } : {}),
          });
          const status = r.items > 0 && r.applied === 0 ? 'duplicate' : 'processed';
          await tx.update(whatsappWebhooks).set({ status, appliedCount: r.applied, itemCount: r.items }).where(eq(whatsappWebhooks.id, id));
          return { id, ...r, status };
        });
        // Account-level problems (value.errors) need a human; codes only, no personal data.
        if (result.errors.length > 0) deps.logger?.warn({ webhookId: result.id, codes: result.errors }, 'whatsapp webhook reports account errors');
        if (result.ignored > 0) deps.logger?.info?.({ webhookId: result.id, ignored: result.ignored }, 'whatsapp webhook items ignored (other number or unreadable)');
        deps.onStored?.(result.id);
        return reply.code(200).send({ status: result.status, webhook_id: result.id, applied: result.applied });
      },
    );
  };
}
