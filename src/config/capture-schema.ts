// The capture part of a form in leadbridge.yaml: the public form definition for the widget (`widget:`), the
// origins allowed to post it (`allowed_origins:`) and the source adapters (`sources:` Tilda, generic mapping,
// Google Ads, Meta). snake_case in the file, camelCase in the typed config. Documented in docs/capture.md.
import { z } from 'zod';

/** A label: one string (used for every language) or `{ ru, en }`. */
const Text = z.union([z.string().min(1).max(5000), z.object({ ru: z.string().min(1).max(5000), en: z.string().min(1).max(5000).optional() }).strict()]);

/** A secret: a literal value, or `{ env: NAME }` read from the environment at start. */
const Secret = z.union([z.string().min(1).max(500), z.object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) }).strict()]);

const FIELD_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;
export const WIDGET_FIELD_TYPES = ['text', 'tel', 'email', 'textarea', 'select', 'number'] as const;

const WidgetFieldSchema = z
  .object({
    /** The lead value: name, phone, email, message, or an extra field (kept in `extra`). */
    name: z.string().regex(FIELD_NAME),
    type: z.enum(WIDGET_FIELD_TYPES).default('text'),
    label: Text,
    placeholder: Text.optional(),
    required: z.boolean().default(false),
    options: z.array(z.union([z.string().min(1).max(200), z.object({ value: z.string().min(1).max(200), label: Text }).strict()])).optional(),
  })
  .strict();

const WidgetSchema = z
  .object({
    title: Text.optional(),
    fields: z.array(WidgetFieldSchema).min(1).max(30),
    consent: z
      .object({
        text: Text,
        /** Stored with every lead (`consent.text_version`): change it whenever the text changes. */
        version: z.string().min(1).max(100),
        url: z.string().url().optional(),
        required: z.boolean().default(true),
      })
      .strict()
      .optional(),
    button: Text.default({ ru: 'Отправить', en: 'Send' }),
    success: Text.default({ ru: 'Спасибо! Мы свяжемся с вами.', en: 'Thank you! We will get back to you.' }),
    error: Text.default({ ru: 'Не удалось отправить. Проверьте поля и попробуйте ещё раз.', en: 'Could not send. Check the fields and try again.' }),
    /** Shown when the network failed: the submission is kept in the browser and sent on the next page view. */
    queued: Text.default({ ru: 'Нет связи. Заявка сохранена и отправится автоматически.', en: 'No connection. Your request is saved and will be sent automatically.' }),
    /** Submissions faster than this after the form appeared are stored as spam. */
    min_fill_ms: z.number().int().min(0).max(600_000).default(1500),
  })
  .strict();

const TildaSchema = z
  .object({
    /** Tilda's "API key" option: the parameter name and value Tilda sends (header, field or query). */
    api_key: z.object({ name: z.string().min(1).max(100).default('api_key'), value: Secret }).strict().optional(),
    /** Tilda variable name → lead value (`name`, `phone`, …, or an extra field). Name/Phone/Email/utm_* map by themselves. */
    fields: z.record(z.string().min(1).max(100), z.string().regex(FIELD_NAME)).default({}),
  })
  .strict();

const GenericSchema = z
  .object({
    /** Lead value (name, phone, email, message, utm_*, gclid, …, or `extra.<name>`) → path in the body (`a.b[0].c`, `list[q=Budget].a`). */
    map: z.record(z.string().min(1).max(100), z.string().min(1).max(300)),
    /** Lead value → a constant. */
    constants: z.record(z.string().min(1).max(100), z.string().max(2000)).default({}),
    /** Path of the submission id used to drop repeats; without it, the same body within 10 minutes is one lead. */
    id: z.string().min(1).max(300).optional(),
    /** Optional shared token: `?token=` or the `X-Leadbridge-Token` header. */
    token: Secret.optional(),
  })
  .strict();

const GoogleAdsSchema = z.object({ key: Secret }).strict();

const MetaSchema = z
  .object({
    verify_token: Secret,
    app_secret: Secret,
    /** Page access token for fetching the lead's answers from the Graph API. */
    page_token: Secret.optional(),
    graph_url: z.string().url().default('https://graph.facebook.com'),
    graph_version: z.string().regex(/^v\d+\.\d+$/).default('v21.0'),
  })
  .strict();

export const CaptureFormSchema = {
  widget: WidgetSchema.optional(),
  /** Origins allowed to post this form from a browser ('*' = any); default: `cors.origins`. */
  allowed_origins: z.array(z.string().min(1).max(300)).optional(),
  sources: z
    .object({ tilda: TildaSchema.optional(), generic: GenericSchema.optional(), google_ads: GoogleAdsSchema.optional(), meta: MetaSchema.optional() })
    .strict()
    .optional(),
};

type Parsed = {
  widget?: z.output<typeof WidgetSchema> | undefined;
  allowed_origins?: string[] | undefined;
  sources?: z.output<(typeof CaptureFormSchema)['sources']>;
};

export interface LocalText {
  ru: string;
  en?: string;
}

export interface WidgetField {
  name: string;
  type: (typeof WIDGET_FIELD_TYPES)[number];
  label: LocalText;
  placeholder?: LocalText;
  required: boolean;
  options?: { value: string; label: LocalText }[];
}

export interface WidgetConfig {
  title?: LocalText;
  fields: WidgetField[];
  consent?: { text: LocalText; version: string; url?: string; required: boolean };
  button: LocalText;
  success: LocalText;
  error: LocalText;
  queued: LocalText;
  minFillMs: number;
}

export interface CaptureFormConfig {
  widget?: WidgetConfig;
  allowedOrigins?: string[];
  tilda?: { apiKey?: { name: string; value: string }; fields: Record<string, string> };
  generic?: { map: Record<string, string>; constants: Record<string, string>; id?: string; token?: string };
  googleAds?: { key: string };
  meta?: { verifyToken: string; appSecret: string; pageToken?: string; graphUrl: string; graphVersion: string };
}

function text(t: z.output<typeof Text>): LocalText {
  return typeof t === 'string' ? { ru: t, en: t } : t.en ? { ru: t.ru, en: t.en } : { ru: t.ru };
}

/** The typed capture config of one form (undefined when the form has none); `{ env }` secrets are read here. */
export function toCaptureConfig(f: Parsed, env: NodeJS.ProcessEnv, where: string, problems: string[]): CaptureFormConfig | undefined {
  const secret = (s: z.output<typeof Secret>, path: string): string => {
    if (typeof s === 'string') return s;
    const v = env[s.env]?.trim();
    if (!v) problems.push(`${where}.${path}: environment variable ${s.env} is not set`);
    return v ?? '';
  };
  const out: CaptureFormConfig = {};
  if (f.widget) {
    const w = f.widget;
    const widget: WidgetConfig = {
      fields: w.fields.map((x) => {
        const field: WidgetField = { name: x.name, type: x.type, label: text(x.label), required: x.required };
        if (x.placeholder) field.placeholder = text(x.placeholder);
        if (x.options) field.options = x.options.map((o) => (typeof o === 'string' ? { value: o, label: { ru: o, en: o } } : { value: o.value, label: text(o.label) }));
        return field;
      }),
      button: text(w.button),
      success: text(w.success),
      error: text(w.error),
      queued: text(w.queued),
      minFillMs: w.min_fill_ms,
    };
    if (w.title) widget.title = text(w.title);
    if (w.consent) {
      widget.consent = { text: text(w.consent.text), version: w.consent.version, required: w.consent.required };
      if (w.consent.url) widget.consent.url = w.consent.url;
    }
    out.widget = widget;
  }
  if (f.allowed_origins) out.allowedOrigins = f.allowed_origins;
  const s = f.sources;
  if (s?.tilda) {
    out.tilda = { fields: s.tilda.fields };
    if (s.tilda.api_key) out.tilda.apiKey = { name: s.tilda.api_key.name, value: secret(s.tilda.api_key.value, 'sources.tilda.api_key.value') };
  }
  if (s?.generic) {
    out.generic = { map: s.generic.map, constants: s.generic.constants };
    if (s.generic.id) out.generic.id = s.generic.id;
    if (s.generic.token) out.generic.token = secret(s.generic.token, 'sources.generic.token');
  }
  if (s?.google_ads) out.googleAds = { key: secret(s.google_ads.key, 'sources.google_ads.key') };
  if (s?.meta) {
    const m = s.meta;
    out.meta = { verifyToken: secret(m.verify_token, 'sources.meta.verify_token'), appSecret: secret(m.app_secret, 'sources.meta.app_secret'), graphUrl: m.graph_url, graphVersion: m.graph_version };
    if (m.page_token) out.meta.pageToken = secret(m.page_token, 'sources.meta.page_token');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
