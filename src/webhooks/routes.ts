// Receiving: POST /api/webhooks/amo/:secret, and POST /api/webhooks/amo with `?secret=` or X-Webhook-Secret.
// The body is read raw by a parser registered inside this plugin (encapsulated: the app's JSON/form parsers
// never see it), checked (secret → 401, parse → 400/413/415, account → 403), stored, and acknowledged; the
// processor applies it later. Responses are problem+json built here: the path holds the secret, so no
// `instance` is echoed, and request logging is quieted for these routes (the access log would print the path).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { counter, histogram } from '../metrics.js';
import { parseWebhook, WebhookParseError, type ParsedWebhook } from '../amocrm/webhooks/index.js';
import type { InboxWriter } from './inbox-writer.js';
import type { WebhookJournal } from './journal.js';
import { outOfRange } from './ranges.js';
import { secretFrom, secretMatches } from './secret.js';
import type { WebhookLogger, WebhookSource } from './types.js';

export interface WebhookRouteDeps {
  source: Pick<WebhookSource, 'webhookSecret' | 'account'>;
  /** The group-commit writer of this account's inbox (shared with the processor, which yields to it). */
  writer: InboxWriter;
  /**
   * Acknowledge once the delivery is in this journal (a local file, fsynced), not the database: the journal
   * stores it in the database afterwards. Without one, the ack waits for the database insert.
   */
  journal?: WebhookJournal;
  /** Called after a delivery is stored (wakes the processor). */
  onStored?: (deliveryId: number) => void;
  metrics?: Registry;
  logger?: WebhookLogger;
  /** Max body bytes (default 1 MiB). */
  bodyLimit?: number;
  /** How long the connected account identity is cached (default 30 s). */
  accountCacheMs?: number;
  now?: () => number;
}

type Account = { id?: number; subdomain?: string } | null;

const STATUS_BY_PARSE_CODE: Record<string, number> = { BODY_TOO_LARGE: 413, UNSUPPORTED_CONTENT_TYPE: 415 };
const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 413: 'Payload Too Large', 415: 'Unsupported Media Type' };

function sendProblem(reply: FastifyReply, req: FastifyRequest, status: number, code: string, detail: string): FastifyReply {
  const type = `urn:leadbridge:problem:${code.toLowerCase().replace(/_/g, '-')}`;
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify({ type, title: TITLES[status] ?? 'Error', status, code, detail, request_id: String(req.id) }));
}

/** Body account vs connected account: a mismatch on id or on subdomain (when both sides have it). */
export function accountMismatch(body: ParsedWebhook['account'], connected: Account): string | undefined {
  if (!connected) return undefined;
  if (body.id !== undefined && connected.id !== undefined && body.id !== connected.id) return 'account id does not match the connected account';
  if (body.subdomain && connected.subdomain && body.subdomain.toLowerCase() !== connected.subdomain.toLowerCase()) {
    return 'account subdomain does not match the connected account';
  }
  return undefined;
}

function metricsOf(registry: Registry | undefined) {
  if (!registry) return undefined;
  return {
    received: counter(registry, { name: 'leadbridge_webhook_deliveries_total', help: 'amoCRM webhook deliveries by result', labelNames: ['result'] }),
    ack: histogram(registry, {
      name: 'leadbridge_webhook_ack_seconds',
      help: 'Time to store and acknowledge an amoCRM webhook',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    }),
  };
}

/** How often a refused webhook is logged per source address and reason (the rest are counted into the next line). */
export const REFUSED_LOG_EVERY_MS = 60_000;

/** One warn line per (address, reason) per minute, with how many were refused since the last line. */
function refusedLogger(logger: WebhookLogger | undefined, now: () => number) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (ip: string, reason: 'missing' | 'wrong'): void => {
    if (!logger) return;
    const key = `${ip}|${reason}`;
    const seen = last.get(key);
    const t = now();
    if (seen && t - seen.at < REFUSED_LOG_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    if (last.size > 10_000) last.clear();
    last.set(key, { at: t, suppressed: 0 });
    logger.warn(
      { ip, reason, ...(seen?.suppressed ? { refusedSinceLastLine: seen.suppressed } : {}) },
      reason === 'missing'
        ? 'amoCRM webhook refused: the URL has no secret (use the URL from `leadbridge webhook-url`)'
        : 'amoCRM webhook refused: wrong secret (the URL amoCRM calls is not the one from `leadbridge webhook-url`)',
    );
  };
}

export function webhookRoutes(deps: WebhookRouteDeps): FastifyPluginAsync {
  return async (app) => {
    const logRefused = refusedLogger(deps.logger, deps.now ?? Date.now);
    const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
    const now = deps.now ?? Date.now;
    const m = metricsOf(deps.metrics);
    const { writer } = deps;
    let cached: { at: number; value: Account } | undefined;
    const account = async (): Promise<Account> => {
      if (cached && now() - cached.at < (deps.accountCacheMs ?? 30_000)) return cached.value;
      const value = await deps.source.account();
      cached = { at: now(), value };
      return value;
    };

    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const started = process.hrtime.bigint();
      const done = (result: string): void => {
        m?.received.inc({ result });
        m?.ack.observe(Number(process.hrtime.bigint() - started) / 1e9);
      };
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const body = raw.toString('utf8');
      const contentType = req.headers['content-type'] ?? null;
      let parsed: ParsedWebhook;
      try {
        parsed = parseWebhook(raw, contentType ?? undefined, { maxBodyBytes: bodyLimit });
        const range = outOfRange(parsed);
        if (range) throw new WebhookParseError('OUT_OF_RANGE', range);
      } catch (err) {
        const code = err instanceof WebhookParseError ? err.code : 'MALFORMED';
        const message = err instanceof Error ? err.message : 'unparsable body';
        // Kept for inspection; PostgreSQL text cannot hold U+0000, so a raw NUL byte is stored as U+FFFD.
        const kept = body.includes('\u0000') ? body.replaceAll('\u0000', '\uFFFD') : body;
        const id = await writer.write({ status: 'malformed', contentType, body: kept, errorCode: code, error: message });
        deps.logger?.warn({ deliveryId: id, code, bytes: raw.length }, 'malformed amoCRM webhook kept');
        done('malformed');
        return sendProblem(reply, req, STATUS_BY_PARSE_CODE[code] ?? 400, `WEBHOOK_${code}`, message);
      }
      let connected: Account = null;
      try {
        connected = await account();
      } catch (err) {
        // The secret already matched: better to keep the delivery than to make amoCRM retry for our problem.
        deps.logger?.warn({ err }, 'connected account unknown; webhook account not checked');
      }
      const mismatch = accountMismatch(parsed.account, connected);
      // PostgreSQL text cannot hold U+0000 (a raw NUL byte in an otherwise parsable body): kept as U+FFFD.
      const storable = body.includes('\u0000') ? body.replaceAll('\u0000', '\uFFFD') : body;
      const base = { contentType, body: storable, accountId: parsed.account.id ?? null, subdomain: parsed.account.subdomain ?? null, eventCount: parsed.events.length };
      if (mismatch) {
        const id = await writer.write({ ...base, status: 'rejected', errorCode: 'ACCOUNT_MISMATCH', error: mismatch });
        deps.logger?.warn({ deliveryId: id, accountId: parsed.account.id }, 'amoCRM webhook from another account rejected');
        done('rejected');
        return sendProblem(reply, req, 403, 'ACCOUNT_MISMATCH', mismatch);
      }
      if (deps.journal) {
        await deps.journal.append({ ...base, status: 'pending' });
        done('accepted');
        return reply.code(200).send({ status: 'accepted', events: parsed.events.length });
      }
      const id = await writer.write({ ...base, status: 'pending' });
      deps.onStored?.(id);
      done('accepted');
      return reply.code(200).send({ status: 'accepted', delivery_id: id, events: parsed.events.length });
    };

    // Access logs print the path, and the path may hold the secret: only warnings and errors for these routes.
    const schema = {
      tags: ['webhooks'],
      summary: 'amoCRM webhook receiver (form-urlencoded or JSON body; secret in the path, ?secret= or X-Webhook-Secret)',
    };
    // The secret is checked before the body is read: a stranger's oversized or malformed body gets the same 401.
    const checkSecret = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      const given = secretFrom(req.params, req.query, req.headers['x-webhook-secret']);
      if (secretMatches(given, deps.source.webhookSecret)) return undefined;
      m?.received.inc({ result: 'unauthorized' });
      logRefused(req.ip, given ? 'wrong' : 'missing');
      return sendProblem(
        reply,
        req,
        401,
        'WEBHOOK_SECRET_INVALID',
        `${given ? 'wrong' : 'missing'} webhook secret: amoCRM must call the full webhook URL /api/webhooks/amo/<secret>. ` +
          'It is printed at start (sandbox), by `leadbridge setup`, and by `npx leadbridge webhook-url`; `leadbridge setup` subscribes it for you.',
      );
    };
    const opts = { logLevel: 'warn' as const, bodyLimit, schema, onRequest: checkSecret };
    app.post('/api/webhooks/amo/:secret', opts, handler);
    app.post('/api/webhooks/amo', opts, handler);
  };
}
