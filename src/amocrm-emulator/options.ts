// Public option / control types of the emulator (re-exported from index.ts).
import type { FastifyInstance } from 'fastify';
import type { LoggerOptions } from 'pino';
import type { TokenResponse } from '../amocrm/types.js';

export interface RateLimitOptions {
  perIntegration?: number;
  perAccount?: number;
  body?: 'json' | 'html';
  /**
   * `window` (default): at most `perIntegration` requests in any sliding 1-second window ("not more than 7 requests
   * per second", read strictly). `bucket`: the older token bucket (a burst of 7 plus refill, 5 % leeway).
   */
  mode?: 'window' | 'bucket';
  /** This many 429s within `blockWindowMs` turn into a 403 block (default 20; 0 = never block). */
  blockAfter429s?: number;
  /** How long the 403 block lasts (default 60 s; real amoCRM blocks for hours). */
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
  /**
   * Search index lag: a lead or contact created or changed less than this many ms ago (emulator clock, measured from
   * its `updated_at` second) is not found by `query` (default 0; the test helpers use 3000). Filters and `id` lookups
   * are never delayed.
   */
  searchLagMs?: number;
  duplicateControl?: boolean;
  stateFile?: string;
  now?: () => number;
  webhookTimeScale?: number;
  /** Changes landing within this many (real) ms are sent together (one POST, or one POST each). Default 100. */
  webhookGroupMs?: number;
  /**
   * `per-item` (default, as every recorded amoCRM body): one action with one item per POST. `grouped`: all actions
   * of the window in one POST (the emulator's old behaviour, kept for tests of multi-action bodies).
   */
  webhookGrouping?: 'per-item' | 'grouped';
  /** Probability (0–1) that a delivery is sent a second time, as amoCRM occasionally does. Default 0. */
  webhookDuplicates?: number;
  /** Each delivery waits a random 0–N ms more, so later ones can overtake earlier ones (out of order). Default 0. */
  webhookReorderMs?: number;
  /** Seed for the duplicate/reorder dice (reproducible runs). Default 1. */
  webhookSeed?: number;
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

type CfvInput = NonNullable<LeadPatch['custom_fields_values']>;

/** A deal as a manager creates it in the UI (`control.createLeadInUi`). Defaults as for the API (§7.1). */
export interface UiLeadInput {
  name?: string;
  price?: number;
  pipeline_id?: number;
  status_id?: number;
  responsible_user_id?: number;
  custom_fields_values?: CfvInput;
  /** Existing contacts to link; the first one is the main contact. */
  contact_ids?: number[];
  company_id?: number;
  /** Tag names (created when missing). */
  tags?: string[];
  /** The manager who creates it: created_by / updated_by and the default responsible (default: the admin 8000001). */
  user_id?: number;
}

/** A UI edit of a contact or company card (`control.updateContact`). Multitext values are replaced per field. */
export interface ContactPatch {
  name?: string;
  first_name?: string;
  last_name?: string;
  responsible_user_id?: number;
  custom_fields_values?: CfvInput;
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
  updateLead(leadId: number, patch: LeadPatch, opts?: { userId?: number }): void;
  /** A manager creates a deal in amoCRM: `lead_added` event, `add_lead` webhook. Returns the new lead id. */
  createLeadInUi(input?: UiLeadInput): number;
  /** UI "delete" (trash): `lead_deleted` event, `leads[delete]` webhook {id, status_id, pipeline_id}; GET → 204. */
  deleteLead(leadId: number, opts?: { userId?: number }): void;
  /** UI restore from the trash: `lead_restored` event, `leads[restore]` webhook. */
  restoreLead(leadId: number, opts?: { userId?: number }): void;
  /** A UI edit of a contact/company card: field events + `update_contact`/`update_company` (+ `responsible_*`) webhook. */
  updateContact(contactId: number, patch: ContactPatch, opts?: { userId?: number }): void;
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
