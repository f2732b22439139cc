// Environment variables → typed values. Every problem is collected (never thrown one by one).
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import type { AmoCrmConfig, LogLevel } from './types.js';

export interface EnvValues {
  port: number;
  /** Interface to listen on (HOST; default 0.0.0.0, every interface). */
  host: string;
  /** Bearer token for GET /metrics (LEADBRIDGE_METRICS_TOKEN); the admin token works too. */
  metricsToken?: string;
  publicUrl: string;
  logLevel: LogLevel;
  databaseUrl?: string;
  dataDir: string;
  configPath: string;
  adminToken?: string;
  secretKey?: string;
  webhookSecret?: string;
  emulatorPort: number;
  /** Interface the sandbox emulator listens on (LEADBRIDGE_EMULATOR_HOST; default 127.0.0.1, 0.0.0.0 in Docker). */
  emulatorHost?: string;
  reconcileCron: string | null;
  defaultCountry?: CountryCode;
  /** LEADBRIDGE_AUDIT_AMOCRM_CALLS (on/off); wins over the file's `audit.amocrm_calls`. */
  auditAmocrmCalls?: boolean;
  amocrm: AmoCrmConfig;
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const AMO_HOSTS = ['amocrm.ru', 'amocrm.com', 'kommo.com'];
const SUBDOMAIN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Values copied from a setup guide or template without being filled in: `your_client_id_here`,
 * `your-company.amocrm.ru`, `your-refresh-token`, `<token>`, `changeme`…
 */
export function looksLikePlaceholder(value: string): boolean {
  const v = value.trim().toLowerCase();
  return (
    /(^|[^a-z])your[-_ ]/.test(v) ||
    /[-_]here$/.test(v) ||
    /^<.*>$/.test(v) ||
    /^\$\{.*\}$/.test(v) ||
    /^(changeme|change[-_]me|placeholder|todo|tbd|xxx+|\.\.\.|example|secret|token)$/.test(v)
  );
}

/** Variables that must never hold a template placeholder (secrets are named, never echoed). */
const NO_PLACEHOLDER: { name: string; secret: boolean; fix: string }[] = [
  { name: 'AMOCRM_DOMAIN', secret: false, fix: 'your account address, e.g. mycompany.amocrm.ru' },
  { name: 'AMOCRM_SUBDOMAIN', secret: false, fix: 'your account subdomain (mycompany of mycompany.amocrm.ru)' },
  { name: 'AMOCRM_CLIENT_ID', secret: false, fix: 'the integration ID from amoCRM (Settings → Integrations → your integration → Keys)' },
  { name: 'AMOCRM_CLIENT_SECRET', secret: true, fix: 'the integration secret key from the same page' },
  { name: 'AMOCRM_REFRESH_TOKEN', secret: true, fix: 'leave it empty and connect by opening /api/auth/amo' },
  { name: 'AMOCRM_ACCESS_TOKEN', secret: true, fix: 'leave it empty and connect by opening /api/auth/amo' },
  { name: 'AMOCRM_LONG_LIVED_TOKEN', secret: true, fix: "a private integration's long-lived token, or leave it empty" },
  { name: 'LEADBRIDGE_ADMIN_TOKEN', secret: true, fix: 'generate one: openssl rand -hex 32' },
  { name: 'LEADBRIDGE_SECRET_KEY', secret: true, fix: 'generate one: openssl rand -hex 32' },
  { name: 'LEADBRIDGE_WEBHOOK_SECRET', secret: true, fix: 'generate one (openssl rand -hex 24), or leave it empty to have one generated' },
  { name: 'LEADBRIDGE_METRICS_TOKEN', secret: true, fix: 'generate one: openssl rand -hex 32' },
];

function placeholders(env: NodeJS.ProcessEnv, problems: string[]): Set<string> {
  const bad = new Set<string>();
  for (const { name, secret, fix } of NO_PLACEHOLDER) {
    const v = read(env, name);
    if (v === undefined || !looksLikePlaceholder(v)) continue;
    bad.add(name);
    problems.push(`${name}: ${secret ? 'looks like a placeholder' : `"${v}" is a placeholder`} from a template, not a real value; set ${fix} (or remove the line)`);
  }
  return bad;
}

/** Empty strings count as unset (docker-compose and .env files produce them). */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const v = read(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) {
    problems.push(`${name}: must be a port number 0-65535 (got "${v}")`);
    return fallback;
  }
  return n;
}

function url(env: NodeJS.ProcessEnv, name: string, problems: string[], protocols = ['http:', 'https:']): string | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  try {
    const u = new URL(v);
    if (!protocols.includes(u.protocol)) throw new Error('protocol');
    return v;
  } catch {
    problems.push(`${name}: must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
    return undefined;
  }
}

/** A 5-field cron expression, or `off` (→ null). */
function cron(env: NodeJS.ProcessEnv, name: string, fallback: string, problems: string[]): string | null {
  const v = read(env, name) ?? fallback;
  if (v === 'off') return null;
  if (!/^\S+( \S+){4}$/.test(v)) {
    problems.push(`${name}: must be a 5-field cron expression or "off" (got "${v}")`);
    return fallback;
  }
  return v;
}

function secret(env: NodeJS.ProcessEnv, name: string, minLength: number, problems: string[]): string | undefined {
  const v = read(env, name);
  if (v !== undefined && v.length < minLength) problems.push(`${name}: must be at least ${minLength} characters`);
  return v;
}

/**
 * `AMOCRM_DOMAIN` may be `x.amocrm.ru`, `x.kommo.com`, `x.amocrm.com` (optionally with https:// and a path)
 * or a bare subdomain; `AMOCRM_SUBDOMAIN` is the same thing under the other seed guide's name.
 */
export function parseAmoDomain(value: string): { subdomain: string; host: string } | undefined {
  const host = value
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/[/?#].*$/, '');
  if (SUBDOMAIN.test(host)) return { subdomain: host, host: `${host}.amocrm.ru` };
  for (const base of AMO_HOSTS) {
    if (host.endsWith(`.${base}`)) {
      const sub = host.slice(0, -base.length - 1);
      if (SUBDOMAIN.test(sub)) return { subdomain: sub, host };
    }
  }
  return undefined;
}

function amocrm(env: NodeJS.ProcessEnv, problems: string[], bad: Set<string>): AmoCrmConfig {
  const out: AmoCrmConfig = {};
  const parsed: { name: string; subdomain: string; host: string }[] = [];
  for (const name of ['AMOCRM_DOMAIN', 'AMOCRM_SUBDOMAIN']) {
    const v = read(env, name);
    if (v === undefined || bad.has(name)) continue;
    const p = parseAmoDomain(v);
    if (!p) problems.push(`${name}: must be like "mycompany", "mycompany.amocrm.ru" or "mycompany.kommo.com" (got "${v}")`);
    else parsed.push({ name, ...p });
  }
  const [first, second] = parsed;
  if (first && second && first.subdomain !== second.subdomain) {
    problems.push('AMOCRM_DOMAIN and AMOCRM_SUBDOMAIN name different accounts; set only one');
  }
  if (first) {
    // A full host beats a bare subdomain (it carries the top-level domain).
    const best = parsed.find((p) => p.host !== `${p.subdomain}.amocrm.ru`) ?? first;
    out.subdomain = best.subdomain;
    out.host = best.host;
    out.baseUrl = `https://${best.host}`;
  }
  const set = (key: keyof AmoCrmConfig, name: string) => {
    const v = read(env, name);
    if (v !== undefined) out[key] = v;
  };
  set('clientId', 'AMOCRM_CLIENT_ID');
  set('clientSecret', 'AMOCRM_CLIENT_SECRET');
  set('refreshToken', 'AMOCRM_REFRESH_TOKEN');
  set('accessToken', 'AMOCRM_ACCESS_TOKEN');
  set('longLivedToken', 'AMOCRM_LONG_LIVED_TOKEN');
  const redirect = url(env, 'AMOCRM_REDIRECT_URI', problems);
  if (redirect) out.redirectUri = redirect;
  // amoCRM and Kommo integration ids are UUIDs ("Invalid client_id" at consent time otherwise).
  if (out.clientId && !bad.has('AMOCRM_CLIENT_ID') && !UUID.test(out.clientId)) {
    problems.push(
      'AMOCRM_CLIENT_ID: must be the integration ID, a UUID like 1a2b3c4d-0000-4000-8000-0123456789ab (amoCRM: Settings → Integrations → your integration → Keys)',
    );
  }
  // For testing only: every amoCRM call (API and OAuth) goes to this origin, e.g. an external emulator.
  const apiBase = url(env, 'AMOCRM_API_BASE_URL', problems);
  if (apiBase) out.apiBaseUrl = apiBase;

  if (out.clientId && !out.clientSecret) problems.push('AMOCRM_CLIENT_SECRET: required when AMOCRM_CLIENT_ID is set');
  if (out.clientSecret && !out.clientId) problems.push('AMOCRM_CLIENT_ID: required when AMOCRM_CLIENT_SECRET is set');
  if (out.refreshToken && !out.clientId) problems.push('AMOCRM_CLIENT_ID: required to use AMOCRM_REFRESH_TOKEN');
  const hasToken = Boolean(out.refreshToken || out.accessToken || out.longLivedToken);
  if (hasToken && !out.host) {
    problems.push('AMOCRM_DOMAIN (or AMOCRM_SUBDOMAIN): required when an amoCRM token is set');
  }
  return out;
}

export function readEnv(env: NodeJS.ProcessEnv, problems: string[]): EnvValues {
  const bad = placeholders(env, problems);
  const p = port(env, 'PORT', 8000, problems);
  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const publicUrl =
    url(env, 'LEADBRIDGE_PUBLIC_URL', problems) ?? url(env, 'NEXT_PUBLIC_BASE_URL', problems) ?? `http://localhost:${p}`;
  const country = read(env, 'LEADBRIDGE_DEFAULT_COUNTRY')?.toUpperCase();
  if (country !== undefined && !isSupportedCountry(country)) {
    problems.push(`LEADBRIDGE_DEFAULT_COUNTRY: not a supported ISO 3166 country code (got "${country}")`);
  }
  const values: EnvValues = {
    port: p,
    host: read(env, 'HOST') ?? '0.0.0.0',
    publicUrl: publicUrl.replace(/\/+$/, ''),
    logLevel: LOG_LEVELS.includes(logLevel as LogLevel) ? (logLevel as LogLevel) : 'info',
    dataDir: read(env, 'LEADBRIDGE_DATA_DIR') ?? './data',
    configPath: read(env, 'LEADBRIDGE_CONFIG') ?? './leadbridge.yaml',
    emulatorPort: port(env, 'LEADBRIDGE_EMULATOR_PORT', 8001, problems),
    reconcileCron: cron(env, 'LEADBRIDGE_RECONCILE_CRON', '*/5 * * * *', problems),
    amocrm: amocrm(env, problems, bad),
  };
  const emulatorHost = read(env, 'LEADBRIDGE_EMULATOR_HOST');
  if (emulatorHost) values.emulatorHost = emulatorHost;
  const databaseUrl = url(env, 'DATABASE_URL', problems, ['postgres:', 'postgresql:']);
  if (databaseUrl) values.databaseUrl = databaseUrl;
  const adminToken = secret(env, 'LEADBRIDGE_ADMIN_TOKEN', 16, problems);
  if (adminToken) values.adminToken = adminToken;
  const secretKey = secret(env, 'LEADBRIDGE_SECRET_KEY', 32, problems);
  if (secretKey) values.secretKey = secretKey;
  const webhookSecret = secret(env, 'LEADBRIDGE_WEBHOOK_SECRET', 16, problems);
  if (webhookSecret) values.webhookSecret = webhookSecret;
  const metricsToken = secret(env, 'LEADBRIDGE_METRICS_TOKEN', 16, problems);
  if (metricsToken) values.metricsToken = metricsToken;
  if (country !== undefined && isSupportedCountry(country)) values.defaultCountry = country;
  const audit = read(env, 'LEADBRIDGE_AUDIT_AMOCRM_CALLS')?.toLowerCase();
  if (audit !== undefined) {
    if (['on', 'true', '1', 'yes'].includes(audit)) values.auditAmocrmCalls = true;
    else if (['off', 'false', '0', 'no'].includes(audit)) values.auditAmocrmCalls = false;
    else problems.push(`LEADBRIDGE_AUDIT_AMOCRM_CALLS: must be on or off (got "${audit}")`);
  }
  return values;
}
