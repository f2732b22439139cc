import type { CountryCode } from 'libphonenumber-js';
import type { RoutingConfig } from '../routing/index.js';
import type { CaptureFormConfig } from './capture-schema.js';
import type { FollowupsSettingsFile, SequenceFile } from './followups-schema.js';
import type { ProvisionSpec } from '../provision/index.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type DeliveryMode = 'complex' | 'unsorted';

export interface FieldMapping {
  entity: 'leads' | 'contacts';
  /** A field key from `account.fields`, a numeric amoCRM field id, or a field code (e.g. PHONE). */
  field: string | number;
  enums?: Record<string, string | number>;
}

export interface FormConfig {
  key: string;
  title: string;
  /** A pipeline key from `account.pipelines` or a numeric pipeline id; undefined = account default. */
  pipeline?: string | number;
  stage?: string | number;
  mode: DeliveryMode;
  /** Mustache template; view: lead fields + `form_title`, `form`. */
  dealName: string;
  tags: string[];
  /** Lead value name → amoCRM field. */
  fields: Record<string, FieldMapping>;
  /** Extra lead values kept in `extra` (the keys of `fields` are kept too). */
  extraFields: string[];
  note: boolean;
  /** Mustache template of the note (undefined: `Config.notes.template`, then the built-in one for `locale`). */
  noteTemplate?: string;
  /** Honeypot field name for this form (defaults to `intake.honeypot`). */
  honeypot: string;
  /** `consent_version`: the consent text version of leads that name none (else the widget's, else `v1`). */
  consentVersion?: string;
  /** Widget definition, allowed origins and source adapters (docs/capture.md); absent when not configured. */
  capture?: CaptureFormConfig;
}

export interface AmoCrmConfig {
  /** `x` of x.amocrm.ru */
  subdomain?: string;
  /** Full host, e.g. `x.amocrm.ru`, `x.kommo.com`. */
  host?: string;
  /** `https://x.amocrm.ru` */
  baseUrl?: string;
  /** AMOCRM_API_BASE_URL (testing only): send every amoCRM call here instead of https://{host}, e.g. an emulator. */
  apiBaseUrl?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  refreshToken?: string;
  accessToken?: string;
  longLivedToken?: string;
}

export interface ApiKeyConfig {
  /** Identifies the source: stored on each lead it sends (`source_key`). */
  name: string;
  /** SHA-256 (hex) of the key: from `key_sha256`, or of the value of the environment variable `keyEnv`. */
  keySha256: string;
  keyEnv?: string;
  perMinute: number;
}

export interface Config {
  port: number;
  /** Interface to listen on (HOST, default 0.0.0.0). */
  host: string;
  /** GET /metrics bearer token (LEADBRIDGE_METRICS_TOKEN); the admin token is accepted too. */
  metricsToken?: string;
  /** Non-fatal configuration findings, logged at warn at start (e.g. a redirect URI on another host). */
  warnings: string[];
  /** Which .env files were read at start (absolute paths), for the start-up log. */
  envFiles?: string[];
  publicUrl: string;
  logLevel: LogLevel;
  /** PostgreSQL when set; otherwise embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** Path of the YAML file that was looked for, and whether it existed. */
  configPath: string;
  configFileFound: boolean;
  adminToken?: string;
  secretKey?: string;
  webhookSecret?: string;
  emulatorPort: number;
  /** Interface the sandbox emulator listens on (LEADBRIDGE_EMULATOR_HOST); unset = 127.0.0.1. */
  emulatorHost?: string;
  /** Reconciliation schedule (LEADBRIDGE_RECONCILE_CRON, default every 5 minutes); null = off. */
  reconcileCron: string | null;
  defaultCountry: CountryCode;
  amocrm: AmoCrmConfig;
  /** True when no amoCRM credentials are configured: leads go to the built-in emulator. */
  sandbox: boolean;
  forms: Record<string, FormConfig>;
  /** The form that takes leads naming none. */
  defaultForm: string;
  /** Notes for managers: language, the account's time zone (IANA), the template (undefined = built-in). */
  notes: { locale: 'ru' | 'en'; timeZone: string; template?: string };
  /** Per-source API keys for server-to-server callers (X-Api-Key / Bearer), each with its own limit. */
  apiKeys: ApiKeyConfig[];
  /** Retention in days (0 = forever) of raw webhook bodies and spam leads. */
  retention: { rawWebhookDays: number; spamDays: number };
  /** The audit line per amoCRM call (on by default). */
  audit: { amocrmCalls: boolean };
  /** Manager routing (`routing:`), validated and normalised (docs/routing.md). */
  routing: RoutingConfig;
  delivery: { batchSize: number; maxAttempts: number; ratePerSecond: number; rateMargin: number; contactLookup: ContactLookup };
  /** Dashboard analytics: the deal field key (from `account.fields.leads`) summed as commission on the Sources page. */
  analytics: { commissionField: string };
  cors: { origins: string[] };
  rateLimit: { perIpPerMinute: number };
  intake: { honeypot: string; bodyLimitBytes: number; trustProxy: boolean };
  /** The provisioning section (`account:`), validated by ProvisionSpecSchema. */
  account?: ProvisionSpec;
  /** Follow-up sequences (`sequences:`, `followups:`) as parsed, and the channels' environment. */
  followups: { sequences: Record<string, SequenceFile>; settings: FollowupsSettingsFile; channels: ChannelEnv };
}

/** SMTP and WhatsApp Cloud API settings from the environment (docs/followups.md); unset = the local sandbox. */
export interface ChannelEnv {
  smtpUrl?: string;
  mailFrom: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  whatsapp: { token?: string; phoneNumberId?: string; apiUrl: string; appSecret?: string; verifyToken?: string };
  /** Port of the built-in SMTP catcher (no SMTP_URL); 0 = any free port. */
  catcherPort: number;
  /** Port of the built-in WhatsApp emulator (no WHATSAPP_TOKEN); 0 = any free port. */
  whatsappEmulatorPort: number;
}

/** How delivery matches a lead's contact to an existing amoCRM contact (docs/delivery.md). */
export const CONTACT_LOOKUPS = ['search', 'local_only', 'amo_duplicate_control'] as const;
export type ContactLookup = (typeof CONTACT_LOOKUPS)[number];
