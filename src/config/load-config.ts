import { existsSync, readFileSync } from 'node:fs';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { readEnv } from './env.js';
import { toCaptureConfig } from './capture-schema.js';
import { FileConfigSchema, type FileConfigParsed } from './file-schema.js';
import type { Config, FormConfig } from './types.js';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
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
  if (f.pipeline !== undefined) form.pipeline = f.pipeline;
  if (f.stage !== undefined) form.stage = f.stage;
  const capture = toCaptureConfig(f, env, `forms.${key}`, problems);
  if (capture) form.capture = capture;
  return form;
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
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const f = parsed.data;
  const forms: Record<string, FormConfig> = {};
  for (const [key, form] of Object.entries(f.forms)) forms[key] = toForm(key, form, f.intake.honeypot, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const a = e.amocrm;
  const config: Config = {
    port: e.port,
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
    routing: f.routing,
    delivery: {
      batchSize: f.delivery.batch_size,
      maxAttempts: f.delivery.max_attempts,
      ratePerSecond: f.delivery.rate_per_second,
      contactLookup: f.delivery.contact_lookup,
    },
    cors: { origins: f.cors.origins },
    rateLimit: { perIpPerMinute: f.rate_limit.per_ip_per_minute },
    intake: {
      honeypot: f.intake.honeypot,
      bodyLimitBytes: f.intake.body_limit_bytes,
      trustProxy: f.intake.trust_proxy,
    },
  };
  if (e.databaseUrl) config.databaseUrl = e.databaseUrl;
  if (e.adminToken) config.adminToken = e.adminToken;
  if (e.secretKey) config.secretKey = e.secretKey;
  if (e.webhookSecret) config.webhookSecret = e.webhookSecret;
  if (f.account !== undefined) config.account = f.account;
  return config;
}
