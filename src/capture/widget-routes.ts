// The embeddable form's server side: the script (/widget.js and /widget/<hash>.js), the public form definition
// (GET /api/forms/:key) and the submit endpoint (POST /api/forms/:key/submit) that ends in the one intake.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config, FormConfig, WidgetConfig } from '../config/index.js';
import { publicStatus, type LeadIntake } from '../intake/index.js';
import { CaptureError } from './errors.js';
import { publicForm } from './forms.js';
import { applyFormCors } from './origin.js';
import type { WidgetAsset } from './widget-asset.js';

export interface WidgetRoutesDeps {
  config: Config;
  intake: LeadIntake;
  asset: WidgetAsset;
}

const AcceptedSchema = z.object({ id: z.string(), status: z.string() });
const Key = z.object({ key: z.string().max(64) });

export function formWithWidget(config: Config, key: string): { form: FormConfig; widget: WidgetConfig } {
  const form = Object.hasOwn(config.forms, key) ? config.forms[key] : undefined;
  const widget = form?.capture?.widget;
  if (!form || !widget) throw new CaptureError('FORM_NOT_FOUND', 404, `no public form "${key}"`);
  return { form, widget };
}

export function allowedOrigins(config: Config, form: FormConfig): string[] {
  return form.capture?.allowedOrigins ?? config.cors.origins;
}

/** The body as an object: JSON, form-encoded, or JSON sent as text/plain (the widget's preflight-free request). */
export function bodyObject(body: unknown): Record<string, unknown> {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      throw new CaptureError('MALFORMED_BODY', 400, 'the body is not valid JSON');
    }
  }
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new CaptureError('MALFORMED_BODY', 400, 'the body must be a JSON object or a form');
  if (tooDeep(b, BODY_MAX_DEPTH)) throw new CaptureError('TOO_DEEP', 422, `the body is nested deeper than ${BODY_MAX_DEPTH} levels`);
  return b as Record<string, unknown>;
}

/** No form or builder nests deeper; the adapters (hashing, JSON.stringify of values) recurse over the body. */
const BODY_MAX_DEPTH = 32;

/** Iterative (a hostile body must not overflow the stack while being measured). */
function tooDeep(root: object, max: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const x of Object.values(v as Record<string, unknown>)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return false;
}

function consentGiven(v: unknown): boolean {
  const given = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>).given : v;
  return given === true || given === 1 || (typeof given === 'string' && ['1', 'true', 'on', 'yes'].includes(given.trim().toLowerCase()));
}

export function widgetRoutes(deps: WidgetRoutesDeps): FastifyPluginAsync {
  const { config, intake, asset } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const passthrough = () => (data: unknown) => ({ value: data });

    function sendScript(reply: FastifyReply, cacheControl: string) {
      const built = asset.read();
      if (!built) throw new CaptureError('WIDGET_NOT_BUILT', 404, 'the widget is not built; run npm run build:widget');
      return reply
        .header('content-type', 'application/javascript; charset=utf-8')
        .header('cache-control', cacheControl)
        .header('access-control-allow-origin', '*')
        .header('etag', `"${built.version}"`)
        .header('x-widget-version', built.version)
        .send(built.code);
    }

    app.get('/widget.js', { schema: { tags: ['capture'], summary: 'The embeddable form script (short cache; pin /widget/<version>.js)' } }, (_req, reply) =>
      sendScript(reply, 'public, max-age=300'),
    );
    app.get(
      '/widget/:file',
      { schema: { tags: ['capture'], summary: 'The widget at its versioned URL (immutable, cached for a year)', params: z.object({ file: z.string() }) } },
      (req, reply) => {
        const built = asset.read();
        if (!built || req.params.file !== `${built.version}.js`) throw new CaptureError('FORM_NOT_FOUND', 404, 'no widget at this version');
        return sendScript(reply, 'public, max-age=31536000, immutable');
      },
    );

    app.get(
      '/api/forms/:key',
      {
        schema: {
          tags: ['capture'],
          summary: 'The public form definition the widget renders (fields, ru/en labels, consent text and version, messages)',
          params: Key,
        },
      },
      async (req, reply) => {
        const { form, widget } = formWithWidget(config, req.params.key);
        applyFormCors(req, reply, allowedOrigins(config, form));
        const built = asset.read();
        reply.header('cache-control', 'public, max-age=60');
        return { ...publicForm(form, widget), widget_version: built?.version ?? null };
      },
    );

    app.post(
      '/api/forms/:key/submit',
      {
        schema: {
          tags: ['capture'],
          summary: 'Submit the embeddable form (JSON, JSON as text/plain, or form-encoded); the lead body of POST /api/leads plus fill_ms',
          description:
            'Checks the Origin against the form\'s allowed_origins (403 ORIGIN_NOT_ALLOWED), the consent checkbox when the form has one ' +
            '(422 CONSENT_REQUIRED), then stores the lead through intake with source "widget". A submission faster than the form\'s ' +
            'min_fill_ms, or with the honeypot filled, is answered like any other and stored as spam.',
          params: Key,
          response: { 200: AcceptedSchema, 202: AcceptedSchema },
        },
        validatorCompiler: passthrough,
        config: { rateLimit: { max: config.rateLimit.perIpPerMinute, timeWindow: 60_000 } },
      },
      async (req: FastifyRequest<{ Params: { key: string } }>, reply) => {
        const { form, widget } = formWithWidget(config, req.params.key);
        applyFormCors(req, reply, allowedOrigins(config, form));
        const { fill_ms: fillMs, ...body } = bodyObject(req.body);
        if (widget.consent?.required && !consentGiven(body.consent)) {
          throw new CaptureError('VALIDATION_FAILED', 422, 'the lead has invalid fields', [
            { field: 'consent', code: 'CONSENT_REQUIRED', message: 'consent to personal data processing is required' },
          ]);
        }
        const fill = typeof fillMs === 'number' ? fillMs : typeof fillMs === 'string' && fillMs !== '' ? Number(fillMs) : undefined;
        const opts: Parameters<LeadIntake['accept']>[1] = { source: 'widget', ip: req.ip, requestId: String(req.id) };
        if (fill !== undefined && !(fill >= widget.minFillMs)) opts.spamReason = 'too_fast';
        const ua = req.headers['user-agent'];
        if (ua) opts.userAgent = ua;
        const header = req.headers['idempotency-key'];
        if (typeof header === 'string') opts.idempotencyKey = header;
        const { lead, created } = await intake.accept({ ...body, form: form.key }, opts);
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(created ? 202 : 200).send({ id: lead.id, status: publicStatus(lead) });
      },
    );
  };
}
