// Shared types of the webhooks domain: injected dependencies and the normalised "observation" every source
// (webhook item, events API, leads API snapshot) is turned into before it is applied.
import type { AmoClient } from '../amocrm/index.js';
import type { AmoFieldValue } from '../db/index.js';

/** The connected amoCRM account, as far as webhooks need it (the connect module provides the real one). */
export interface WebhookSource {
  /** The secret in our webhook URL (`/api/webhooks/amo/:secret`, `?secret=`, `X-Webhook-Secret`). */
  webhookSecret: string;
  /** Identity of the connected account; null when not connected yet (then the body's account is not checked). */
  account: () => Promise<{ id?: number; subdomain?: string } | null>;
  amo: AmoClient;
}

/** Config key → amoCRM field id of every mapped deal field; the values land in amo_deals.fields under the key. */
export interface DealFieldMap {
  /** Every mapped deal field: key (e.g. `object`, `object_cost`, `commission`, `utm_source`) → field id. */
  byKey: Record<string, number>;
}

export type ObservationKind = 'add' | 'update' | 'status' | 'responsible' | 'restore' | 'delete' | 'snapshot';

/**
 * One thing we learnt about a deal at amoCRM time `at` (unix seconds). Only present keys are applied; a
 * `snapshot` (read back through the API) is complete and authoritative.
 */
export interface DealObservation {
  amoLeadId: number;
  kind: ObservationKind;
  at: number;
  /** False when amoCRM gave no timestamp and `at` is our receipt time. */
  stamped: boolean;
  source: 'webhook' | 'reconcile';
  name?: string;
  pipelineId?: number;
  statusId?: number;
  price?: number;
  responsibleUserId?: number;
  createdAt?: number;
  closedAt?: number | null;
  customFields?: AmoFieldValue[];
  contactIds?: number[];
}

export interface ContactObservation {
  amoContactId: number;
  kind: 'contact' | 'company';
  action: 'add' | 'update' | 'restore' | 'responsible' | 'delete';
  at: number;
  name?: string;
  responsibleUserId?: number;
  customFields?: AmoFieldValue[];
  leadIds?: number[];
}

/** Minimal logger (pino-compatible). */
export interface WebhookLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}
