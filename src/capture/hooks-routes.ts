// Source webhooks: Tilda, a generic per-form mapping, Google Ads lead forms, Meta Lead Ads. Each turns its wire
// format into an intake lead body and stores it through the one intake (same validation, dedup, spam rules),
// with its own source and an idempotency key from the source's submission id.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CaptureFormConfig, Config, FormConfig } from '../config/index.js';
import type { AcceptOptions, LeadIntake } from '../intake/index.js';
import { CaptureError } from './errors.js';
import { genericLead } from './generic.js';
import { googleAdsLead } from './google-ads.js';
import { secretMatches } from './map.js';
import { leadgenChanges, metaLead, metaSignatureValid, type LeadgenChange, type MetaFieldData } from './meta.js';
import { isTildaTest, tildaLead } from './tilda.js';
import { bodyObject } from './widget-routes.js';

export interface HooksDeps {
  config: Config;
  intake: LeadIntake;
  logger?: Logger;
  now: () => number;
  /** fetch for the Graph API (tests point graph_url at a local server). */
  fetch?: typeof fetch;
}

const FormParam = z.object({ form: z.string().max(64) });
const passthrough = () => (data: unknown) => ({ value: data });

function sourceOf<K extends keyof CaptureFormConfig>(config: Config, key: string, source: K): { form: FormConfig; cfg: NonNullable<CaptureFormConfig[K]> } {
  const form = Object.hasOwn(config.forms, key) ? config.forms[key] : undefined;
  const cfg = form?.capture?.[source];
  if (!form || !cfg) throw new CaptureError('FORM_NOT_FOUND', 404, `form "${key}" has no ${String(source)} source configured`);
  return { form, cfg: cfg as NonNullable<CaptureFormConfig[K]> };
}

function meta(req: FastifyRequest, source: AcceptOptions['source']): AcceptOptions {
  const opts: AcceptOptions = { source, requestId: String(req.id) };
  // The request comes from the builder's server, not the visitor: its IP and agent are not the lead's.
  return opts;
}

function unauthorized(what: string): CaptureError {
  return new CaptureError('UNAUTHORIZED', 401, `${what} is missing or wrong`);
}

export function hooksRoutes(deps: HooksDeps): FastifyPluginAsync {
  const { config, intake } = deps;
  const doFetch = deps.fetch ?? fetch;
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/api/hooks/tilda/:form',
      {
        schema: {
          tags: ['capture'],
          summary: "Tilda's form webhook (form-urlencoded Name/Phone/Email/custom fields, tranid, formid, COOKIES, utm_*)",
          description:
            'Answers "ok" (text/plain). Tilda\'s probe test=test → 200 "ok", nothing stored. The same formid + tranid again → the same ' +
            'lead. With sources.tilda.api_key set, the key must come as a header, a field or a query parameter of that name (else 401).',
          params: FormParam,
        },
        validatorCompiler: passthrough,
      },
      async (req, reply) => {
        const { form, cfg } = sourceOf(config, req.params.form, 'tilda');
        const body = bodyObject(req.body);
        if (cfg.apiKey) {
          const name = cfg.apiKey.name;
          const query = req.query as Record<string, unknown>;
          const presented = req.headers[name.toLowerCase()] ?? body[name] ?? query[name];
          if (!secretMatches(presented, cfg.apiKey.value)) throw unauthorized('the Tilda API key');
        }
        if (isTildaTest(body)) return reply.type('text/plain; charset=utf-8').send('ok');
        const lead = tildaLead(form.key, body, cfg.fields, cfg.apiKey?.name);
        const opts = meta(req, 'tilda');
        if (lead.idempotencyKey) opts.idempotencyKey = lead.idempotencyKey;
        await intake.accept(lead.body, opts);
        return reply.type('text/plain; charset=utf-8').send('ok');
      },
    );

    app.post(
      '/api/hooks/generic/:form',
      {
        schema: {
          tags: ['capture'],
          summary: 'Any builder (Elementor, Contact Form 7 add-ons, Marquiz, …): JSON or form-encoded, mapped by the form\'s sources.generic',
          params: FormParam,
        },
        validatorCompiler: passthrough,
      },
      async (req, reply) => {
        const { form, cfg } = sourceOf(config, req.params.form, 'generic');
        if (cfg.token) {
          const query = req.query as Record<string, unknown>;
          if (!secretMatches(req.headers['x-leadbridge-token'] ?? query.token, cfg.token)) throw unauthorized('the token');
        }
        const lead = genericLead(form.key, bodyObject(req.body), cfg, deps.now());
        const { lead: row, created } = await intake.accept(lead.body, { ...meta(req, 'generic'), idempotencyKey: lead.idempotencyKey });
        return reply.code(created ? 202 : 200).send({ id: row.id, status: 'accepted' });
      },
    );

    app.post(
      '/api/hooks/google-ads/:form',
      {
        schema: {
          tags: ['capture'],
          summary: 'Google Ads lead form webhook (JSON with user_column_data; google_key checked, 401 when wrong)',
          description: 'is_test (the "Send test data" button) → 200, nothing stored. lead_id is the idempotency key.',
          params: FormParam,
        },
        validatorCompiler: passthrough,
      },
      async (req, reply) => {
        const { form, cfg } = sourceOf(config, req.params.form, 'googleAds');
        const body = bodyObject(req.body);
        if (!secretMatches(body.google_key, cfg.key)) throw unauthorized('google_key');
        if (body.is_test === true) return reply.code(200).send({});
        const lead = googleAdsLead(form.key, body);
        const opts = meta(req, 'google_ads');
        if (lead.idempotencyKey) opts.idempotencyKey = lead.idempotencyKey;
        await intake.accept(lead.body, opts);
        return reply.code(200).send({});
      },
    );

    app.get(
      '/api/hooks/meta/:form',
      {
        schema: {
          tags: ['capture'],
          summary: 'Meta webhook verification: hub.mode=subscribe + hub.verify_token → hub.challenge',
          params: FormParam,
          querystring: z.object({ 'hub.mode': z.string().optional(), 'hub.verify_token': z.string().optional(), 'hub.challenge': z.string().optional() }).loose(),
        },
      },
      async (req, reply) => {
        const { cfg } = sourceOf(config, req.params.form, 'meta');
        const q = req.query;
        if (q['hub.mode'] !== 'subscribe' || !secretMatches(q['hub.verify_token'], cfg.verifyToken)) {
          throw new CaptureError('FORBIDDEN', 403, 'the verify token does not match');
        }
        return reply.type('text/plain; charset=utf-8').send(q['hub.challenge'] ?? '');
      },
    );

    // Meta signs the raw body: this scope keeps JSON bodies as bytes.
    await app.register(async (scope) => {
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      scope.withTypeProvider<ZodTypeProvider>().post(
        '/api/hooks/meta/:form',
        {
          schema: {
            tags: ['capture'],
            summary: 'Meta Lead Ads webhook (page/leadgen): X-Hub-Signature-256 checked (401), answers fetched from the Graph API',
            description: 'A Graph API failure → 502, so Meta delivers the notification again; leadgen_id is the idempotency key.',
            params: FormParam,
          },
          validatorCompiler: passthrough,
        },
        async (req, reply) => {
          const { form, cfg } = sourceOf(config, req.params.form, 'meta');
          const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : '');
          if (!metaSignatureValid(raw, req.headers['x-hub-signature-256'], cfg.appSecret)) throw unauthorized('X-Hub-Signature-256');
          const changes = leadgenChanges(bodyObject(raw.toString('utf8')));
          for (const change of changes) {
            let fieldData = change.field_data;
            if (!fieldData) {
              fieldData = await fetchLead(change, cfg);
              if (!fieldData) {
                return reply.code(502).type('application/problem+json; charset=utf-8').send({
                  type: 'urn:leadbridge:problem:upstream-failed', title: 'Bad Gateway', status: 502, code: 'UPSTREAM_FAILED',
                  detail: 'the lead could not be fetched from the Graph API; Meta will retry', request_id: String(req.id),
                });
              }
            }
            const lead = metaLead(form.key, change, fieldData);
            try {
              await intake.accept(lead.body, { ...meta(req, 'meta'), idempotencyKey: lead.idempotencyKey });
            } catch (err) {
              // A lead without phone or email cannot become valid by retrying: log it (no personal data) and go on.
              if ((err as { statusCode?: number }).statusCode !== 422) throw err;
              deps.logger?.warn({ form: form.key, leadgenId: change.leadgen_id }, 'meta lead rejected by validation');
            }
          }
          return reply.type('text/plain; charset=utf-8').send('EVENT_RECEIVED');
        },
      );
    });

    async function fetchLead(change: LeadgenChange, cfg: NonNullable<CaptureFormConfig['meta']>): Promise<MetaFieldData[] | undefined> {
      if (!cfg.pageToken) return undefined;
      const url = `${cfg.graphUrl.replace(/\/+$/, '')}/${cfg.graphVersion}/${encodeURIComponent(change.leadgen_id)}?access_token=${encodeURIComponent(cfg.pageToken)}`;
      try {
        const res = await doFetch(url, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) {
          deps.logger?.warn({ status: res.status, leadgenId: change.leadgen_id }, 'graph api lead fetch failed');
          return undefined;
        }
        const data = (await res.json()) as { field_data?: MetaFieldData[] };
        return Array.isArray(data.field_data) ? data.field_data : [];
      } catch (err) {
        deps.logger?.warn({ err: (err as Error).name, leadgenId: change.leadgen_id }, 'graph api lead fetch failed');
        return undefined;
      }
    }
  };
}
