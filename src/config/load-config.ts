import { existsSync, readFileSync } from 'node:fs';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import Mustache from 'mustache';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { readChannelEnv } from './channels-env.js';
import { createHash } from 'node:crypto';
import { looksLikePlaceholder, readEnv } from './env.js';
import { toCaptureConfig } from './capture-schema.js';
import { FileConfigSchema, type FileConfigParsed } from './file-schema.js';
import type { ApiKeyConfig, Config, FormConfig } from './types.js';
import { AppError } from '../errors.js';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

export class ConfigError extends AppError<'CONFIG_INVALID'> {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
  }
}

function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.') || '(root)';
}

function readFile(path: string, problems: string[]): { data: unknown; found: boolean } {
  if (!existsSync(path)) return { data: {}, found: false };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    problems.push(`${path}: cannot be read (${e instanceof Error ? e.message : String(e)})`);
    return { data: {}, found: true };
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) problems.push(`${path}: YAML syntax: ${err.message.split('\n')[0]}`);
    return { data: {}, found: true };
  }
  return { data: doc.toJS() ?? {}, found: true };
}

function toForm(key: string, f: FileConfigParsed['forms'][string], defaultHoneypot: string, env: NodeJS.ProcessEnv, problems: string[]): FormConfig {
  const form: FormConfig = {
    key,
    title: f.title ?? key,
    mode: f.mode,
    dealName: f.deal_name,
    tags: f.tags,
    fields: f.fields,
    extraFields: f.extra_fields,
    note: f.note,
    honeypot: f.honeypot ?? defaultHoneypot,
  };
  if (f.note_template !== undefined) {
    form.noteTemplate = f.note_template;
    checkTemplate(f.note_template, `forms.${key}.note_template`, problems);
  }
  if (f.consent_version !== undefined) form.consentVersion = f.consent_version;
  if (f.pipeline !== undefined) form.pipeline = f.pipeline;
  if (f.stage !== undefined) form.stage = f.stage;
  const capture = toCaptureConfig(f, env, `forms.${key}`, problems);
  if (capture) form.capture = capture;
  return form;
}

/** A note template that Mustache cannot parse (an unclosed section, `{{` without `}}`) fails at start, not per lead. */
function checkTemplate(template: string, where: string, problems: string[]): void {
  try {
    Mustache.parse(template);
  } catch (e) {
    problems.push(`${where}: not a valid Mustache template (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Findings that do not stop the start but explain a later failure (logged at warn by main.ts). */
function envWarnings(e: ReturnType<typeof readEnv>): string[] {
  const out: string[] = [];
  const redirect = e.amocrm.redirectUri;
  if (redirect) {
    const r = new URL(redirect);
    const p = new URL(e.publicUrl);
    if (r.host !== p.host) {
      out.push(
        `AMOCRM_REDIRECT_URI (${r.host}) is on another host than LEADBRIDGE_PUBLIC_URL (${p.host}): amoCRM sends the OAuth code to the redirect URI, so it must reach this server. Remove AMOCRM_REDIRECT_URI to use ${e.publicUrl}/api/auth/amo/callback, or fix LEADBRIDGE_PUBLIC_URL`,
      );
    }
  }
  return out;
}

/**
 * Reads the environment and the YAML file (`LEADBRIDGE_CONFIG`, default ./leadbridge.yaml; a missing file means
 * built-in defaults). Throws one ConfigError listing EVERY problem found.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: { configPath?: string } = {}): Config {
  const problems: string[] = [];
  const e = readEnv(env, problems);
  const configPath = opts.configPath ?? e.configPath;
  const file = readFile(configPath, problems);
  const channels = readChannelEnv(env, problems);
  const parsed = FileConfigSchema.safeParse(file.data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${configPath}: ${issuePath(issue)}: ${issue.message}`);
  }
  let defaultCountry: CountryCode = e.defaultCountry ?? 'RU';
  const fileCountry = parsed.success ? parsed.data.defaults.country?.toUpperCase() : undefined;
  if (!e.defaultCountry && fileCountry !== undefined) {
    if (isSupportedCountry(fileCountry)) defaultCountry = fileCountry;
    else problems.push(`${configPath}: defaults.country: not a supported ISO 3166 country code (got "${fileCountry}")`);
  }
  const f = parsed.success ? parsed.data : undefined;
  const formKeys = Object.keys(f?.forms ?? {});
  // The form for leads naming none: `default_form`, else `default`, else the only form there is.
  const defaultForm = f?.default_form ?? (formKeys.length === 1 && !formKeys.includes('default') ? (formKeys[0] as string) : 'default');
  if (f?.default_form !== undefined && formKeys.length > 0 && !formKeys.includes(f.default_form)) {
    problems.push(`${configPath}: default_form: "${f.default_form}" is not one of the forms (${formKeys.join(', ')})`);
  }
  const timeZone = f?.defaults.time_zone ?? 'Europe/Moscow';
  if (!validTimeZone(timeZone)) problems.push(`${configPath}: defaults.time_zone: not an IANA time zone like Europe/Moscow (got "${timeZone}")`);
  const apiKeys: ApiKeyConfig[] = (f?.api_keys ?? []).map((k) => {
    if (k.key_sha256 !== undefined) return { name: k.name, keySha256: k.key_sha256.toLowerCase(), perMinute: k.per_minute };
    const keyEnv = k.key_env as string;
    const key = env[keyEnv]?.trim() ?? '';
    if (key.length < 16) problems.push(`${keyEnv}: api key "${k.name}" needs this variable set to at least 16 characters (openssl rand -hex 24)`);
    else if (looksLikePlaceholder(key)) problems.push(`${keyEnv}: api key "${k.name}" looks like a placeholder from a template; set a real key (openssl rand -hex 24)`);
    return { name: k.name, keySha256: sha256Hex(key), keyEnv, perMinute: k.per_minute };
  });
  // Retention (docs/privacy.md): the environment wins over the file's `retention:`.
  const retentionDays = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 3650) problems.push(`${name}: days as a whole number 0-3650 (0 = keep forever), got "${raw}"`);
    return n;
  };
  const retention = {
    rawWebhookDays: retentionDays('LEADBRIDGE_RETENTION_RAW_WEBHOOK_DAYS', f?.retention.raw_webhook_days ?? 30),
    spamDays: retentionDays('LEADBRIDGE_RETENTION_SPAM_DAYS', f?.retention.spam_days ?? 30),
  };
  if (f?.notes.template !== undefined) checkTemplate(f.notes.template, `${configPath}: notes.template`, problems);
  if (problems.length > 0 || !f) throw new ConfigError(problems);

  const forms: Record<string, FormConfig> = {};
  for (const [key, form] of Object.entries(f.forms)) forms[key] = toForm(key, form, f.intake.honeypot, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const a = e.amocrm;
  const config: Config = {
    port: e.port,
    host: e.host,
    warnings: envWarnings(e),
    publicUrl: e.publicUrl,
    logLevel: e.logLevel,
    dataDir: e.dataDir,
    configPath,
    configFileFound: file.found,
    emulatorPort: e.emulatorPort,
    reconcileCron: e.reconcileCron,
    defaultCountry,
    amocrm: a,
    sandbox: !(a.longLivedToken || a.accessToken || a.refreshToken || (a.clientId && a.clientSecret)),
    forms,
    defaultForm,
    notes: { locale: f.defaults.locale ?? 'ru', timeZone, ...(f.notes.template ? { template: f.notes.template } : {}) },
    apiKeys,
    retention,
    audit: { amocrmCalls: e.auditAmocrmCalls ?? f.audit.amocrm_calls },
    routing: f.routing,
    delivery: {
      batchSize: f.delivery.batch_size,
      maxAttempts: f.delivery.max_attempts,
      ratePerSecond: f.delivery.rate_per_second,
      rateMargin: f.delivery.rate_margin,
      contactLookup: f.delivery.contact_lookup,
    },
    analytics: { commissionField: f.analytics.commission_field },
    cors: { origins: f.cors.origins },
    rateLimit: { perIpPerMinute: f.rate_limit.per_ip_per_minute },
    intake: {
      honeypot: f.intake.honeypot,
      bodyLimitBytes: f.intake.body_limit_bytes,
      trustProxy: f.intake.trust_proxy,
    },
    followups: { sequences: f.sequences, settings: f.followups, channels },
  };
  const dealFields = f.account?.fields.leads ?? [];
  if (dealFields.length > 0 && !dealFields.some((x) => x.key === config.analytics.commissionField)) {
    config.warnings.push(`analytics.commission_field "${config.analytics.commissionField}" is not a deal field of account.fields.leads: the dashboard's commission stays 0`);
  }
  if (e.databaseUrl) config.databaseUrl = e.databaseUrl;
  if (e.adminToken) config.adminToken = e.adminToken;
  if (e.emulatorHost) config.emulatorHost = e.emulatorHost;
  if (e.secretKey) config.secretKey = e.secretKey;
  if (e.webhookSecret) config.webhookSecret = e.webhookSecret;
  if (e.metricsToken) config.metricsToken = e.metricsToken;
  if (f.account !== undefined) config.account = f.account;
  return config;
}
