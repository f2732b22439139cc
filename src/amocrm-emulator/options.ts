// Public option / control types of the emulator (re-exported from index.ts).
import type { FastifyInstance } from 'fastify';
import type { LoggerOptions } from 'pino';
import type { TokenResponse } from '../amocrm/types.js';

export interface RateLimitOptions {
  perIntegration?: number;
  perAccount?: number;
  body?: 'json' | 'html';
  blockAfter429s?: number;
  blockMs?: number;
  /** Window in ms in which `blockAfter429s` 429s trigger the block (default 60 s). */
  blockWindowMs?: number;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  subdomain?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  autoApprove?: boolean;
  rateLimit?: false | RateLimitOptions;
  refreshMode?: 'strict' | 'grace';
  latencyMs?: number;
  duplicateControl?: boolean;
  stateFile?: string;
  now?: () => number;
  webhookTimeScale?: number;
  /** Changes landing within this many (real) ms are grouped into one webhook delivery. Default 100. */
  webhookGroupMs?: number;
  logger?: false | LoggerOptions;
}

export interface EmulatorConfig {
  subdomain: string;
  domain: string;
  accountId: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface FaultSpec {
  method?: string;
  path: string;
  count?: number;
  status?: number;
  body?: string | object;
  contentType?: string;
  delayMs?: number;
  drop?: boolean;
  when?: 'before' | 'after';
}

export interface LeadPatch {
  name?: string;
  price?: number;
  responsible_user_id?: number;
  custom_fields_values?: { field_id?: number; field_code?: string; values: { value?: unknown; enum_id?: number; enum_code?: string }[] | null }[];
}

export interface EmulatorControl {
  reset(): void;
  advanceClock(ms: number): void;
  addFault(f: FaultSpec): void;
  clearFaults(): void;
  issueTokens(opts?: { admin?: boolean; userId?: number }): Promise<TokenResponse>;
  issueLongLivedToken(opts?: { ttlSec?: number; admin?: boolean }): Promise<{ access_token: string; expires_at: number }>;
  revokeAll(): void;
  moveLead(leadId: number, pipelineId: number, statusId: number, opts?: { userId?: number }): void;
  updateLead(leadId: number, patch: LeadPatch): void;
  deleteField(entity: 'leads' | 'contacts' | 'companies', fieldId: number): void;
  setWebhookDisabled(destination: string, disabled: boolean): void;
  setPaymentRequired(on: boolean): void;
  dropNextWebhooks(n: number): void;
  /** Counts of calls to the token endpoint (`POST /oauth2/access_token`). */
  tokenCalls(): number;
  /** Resolves when no webhook delivery is pending in the grouping window or in flight (retries not included). */
  flushWebhooks(): Promise<void>;
  /** Calls an integration's disable hook like amoCRM does: GET url?client_uuid&account_id&signature (HMAC-SHA256). Returns the status. */
  callDisableHook(url: string): Promise<number>;
  state(): EmulatorStateJson;
}

export type EmulatorStateJson = Record<string, unknown>;

export interface BuiltEmulator {
  app: FastifyInstance;
  control: EmulatorControl;
  config: EmulatorConfig;
}

export interface RunningEmulator {
  url: string;
  port: number;
  config: EmulatorConfig;
  control: EmulatorControl;
  close(): Promise<void>;
}
