// Typed output of parseWebhook. Payloads are camelCase versions of amoCRM's legacy webhook names (fact sheet §8):
// `status_id` → `statusId`, `date_create` → `dateCreate`, `attachement` → `attachment`. Ids, prices and unix
// timestamps are numbers; "0"/"1" flags are booleans; task dates stay "Y-m-d H:i:s" strings (account time zone).
// A key is present only when the hook carried it: amoCRM omits empty lists and cleared fields, so absent ≠ empty.
// Every event also keeps `raw`, the item exactly as decoded (strings), so nothing is lost.

import type { RawObject, RawValue } from './tree.js';

export interface WebhookAccount {
  id?: number;
  subdomain?: string;
  /** `account[_links][self]`, e.g. https://example.amocrm.ru */
  baseUrl?: string;
}

export interface ParsedWebhook {
  account: WebhookAccount;
  events: WebhookEvent[];
}

export type WebhookAction = 'add' | 'update' | 'delete' | 'restore' | 'status' | 'responsible' | 'note';

export interface HookTag {
  id?: number;
  name?: string;
}

export interface HookCustomFieldValue {
  /** Text stays a string (phones keep leading zeros); the bare `values[n]=ts` date shape gives a number. */
  value: string | number | boolean | null;
  enum?: number;
}

export interface HookCustomField {
  id: number;
  name?: string;
  code?: string;
  values: HookCustomFieldValue[];
}

export interface HookLead {
  id: number;
  name?: string;
  statusId?: number;
  oldStatusId?: number;
  price?: number;
  responsibleUserId?: number;
  oldResponsibleUserId?: number;
  lastModified?: number;
  modifiedUserId?: number;
  createdUserId?: number;
  dateCreate?: number;
  pipelineId?: number;
  oldPipelineId?: number;
  accountId?: number;
  groupId?: number;
  lossReasonId?: number;
  tags?: HookTag[];
  customFields?: HookCustomField[];
  createdAt?: number;
  updatedAt?: number;
}

/** Contacts and companies both arrive under `contacts`; `type` tells them apart (absent → contact). */
export interface HookContact {
  id: number;
  type: 'contact' | 'company';
  name?: string;
  firstName?: string;
  lastName?: string;
  responsibleUserId?: number;
  oldResponsibleUserId?: number;
  dateCreate?: number;
  lastModified?: number;
  createdUserId?: number;
  modifiedUserId?: number;
  companyName?: string;
  linkedCompanyId?: number;
  accountId?: number;
  groupId?: number;
  tags?: HookTag[];
  customFields?: HookCustomField[];
  linkedLeadsId?: number[];
  createdAt?: number;
  updatedAt?: number;
}

export interface HookCustomer {
  id: number;
  name?: string;
  statusId?: number;
  responsibleUserId?: number;
  oldResponsibleUserId?: number;
  nextPrice?: number;
  nextDate?: number;
  accountId?: number;
  tags?: HookTag[];
  customFields?: HookCustomField[];
  createdAt?: number;
  updatedAt?: number;
}

export interface HookTask {
  id: number;
  elementId?: number;
  /** 1 contact, 2 lead, 3 company (12 customer). */
  elementType?: number;
  taskType?: number;
  text?: string;
  oldText?: string;
  /** From `status`: "1" done, "0" open. */
  completed?: boolean;
  /** `action_close`: this update closed the task. */
  actionClose?: boolean;
  accountId?: number;
  createdUserId?: number;
  responsibleUserId?: number;
  oldResponsibleUserId?: number;
  dateCreate?: string;
  lastModified?: string;
  completeTill?: string;
  completeBefore?: number;
  result?: { id?: number; text?: string };
  createdAt?: number;
  updatedAt?: number;
}

export interface HookNote {
  id: number;
  /** Entity the note hangs on: from the key (`leads`/`customers`) or the sibling `type` under `contacts`. */
  parent: 'lead' | 'contact' | 'company' | 'customer';
  text?: string;
  /** 4 common text, 5 attachment, … */
  noteType?: number;
  elementId?: number;
  elementType?: number;
  /** Wire key `attachement` (sic). */
  attachment?: string;
  dateCreate?: number | string;
  timestampX?: number | string;
  createdBy?: number;
  modifiedBy?: number;
  mainUserId?: number;
  accountId?: number;
  catalogId?: number;
  groupId?: number;
  /** `metadata` is a JSON string on the wire; parsed (sanitised). Unparsable → absent (see `raw`). */
  metadata?: RawValue;
  createdAt?: number;
  updatedAt?: number;
}

export interface HookUnsorted {
  uid: string;
  category?: string;
  accountId?: number;
  userId?: number;
  source?: string;
  sourceId?: number;
  pipelineId?: number;
  leadId?: number;
  requestId?: string;
  createdAt?: number;
  /** `source_data{…}` and `data{leads, contacts}` as decoded. */
  sourceData?: RawObject;
  data?: RawObject;
  acceptResult?: HookUnsortedResult;
  declineResult?: HookUnsortedResult;
}

export interface HookUnsortedResult {
  leads: number[];
  contacts: number[];
  companies: number[];
}

export interface HookMessage {
  id: string;
  chatId?: string;
  talkId?: number;
  contactId?: number;
  text?: string;
  createdAt?: number;
  elementType?: number;
  elementId?: number;
  entityType?: string;
  entityId?: number;
  type?: string;
  origin?: string;
  author?: { id?: string; type?: string; name?: string; avatarUrl?: string };
  attachment?: { type?: string; link?: string };
}

export interface HookTalk {
  talkId: number;
  chatId?: string;
  contactId?: number;
  entityId?: number;
  entityType?: string;
  rate?: number;
  isInWork?: boolean;
  isRead?: boolean;
  origin?: string;
  createdAt?: number;
  updatedAt?: number;
}

export interface HookCatalogElement {
  id: number;
  catalogId?: number;
  name?: string;
  type?: string;
  customFields?: HookCustomField[];
  createdAt?: number;
  updatedAt?: number;
}

interface EventBase<K extends string, A extends string> {
  /** Top-level wire key (`leads`, `contacts`, `task`, …). */
  key: K;
  action: A;
  /** Position in its action list (`leads[update][1]` → 1). */
  index: number;
  raw: RawObject;
}

export interface LeadEvent extends EventBase<'leads', Exclude<WebhookAction, 'note'>> {
  entity: 'lead';
  data: HookLead;
}
export interface ContactEvent extends EventBase<'contacts', Exclude<WebhookAction, 'note' | 'status'>> {
  entity: 'contact' | 'company';
  data: HookContact;
}
export interface CustomerEvent extends EventBase<'customers', Exclude<WebhookAction, 'note'>> {
  entity: 'customer';
  data: HookCustomer;
}
export interface TaskEvent extends EventBase<'task', 'add' | 'update' | 'delete' | 'responsible'> {
  entity: 'task';
  data: HookTask;
}
export interface NoteEvent extends EventBase<'leads' | 'contacts' | 'customers', 'note'> {
  entity: 'note';
  data: HookNote;
}
export interface UnsortedEvent extends EventBase<'unsorted', 'add' | 'update' | 'delete'> {
  entity: 'unsorted';
  /** Only on `delete`: accept/decline arrive as a delete with `action=accept|decline`. */
  unsortedAction?: 'accept' | 'decline';
  data: HookUnsorted;
}
export interface MessageEvent extends EventBase<'message', 'add' | 'update'> {
  entity: 'message';
  data: HookMessage;
}
export interface TalkEvent extends EventBase<'talk', 'add' | 'update'> {
  entity: 'talk';
  data: HookTalk;
}
export interface CatalogElementEvent extends EventBase<'catalogs', 'add' | 'update' | 'delete'> {
  entity: 'catalog_element';
  data: HookCatalogElement;
}
/** Anything not understood: an unknown key or action, or an item without its id. Kept, never dropped. */
export interface UnknownEvent {
  entity: 'unknown';
  key: string;
  action: string;
  index: number;
  raw: RawValue;
  reason: 'unknown_key' | 'unknown_action' | 'missing_id' | 'unexpected_shape';
}

export type WebhookEvent =
  | LeadEvent
  | ContactEvent
  | CustomerEvent
  | TaskEvent
  | NoteEvent
  | UnsortedEvent
  | MessageEvent
  | TalkEvent
  | CatalogElementEvent
  | UnknownEvent;

type EventWithEntity<X, E> = X extends { entity: infer En } ? (E extends En ? X : never) : never;
/** The event type for one entity: `WebhookEventOf<'company'>` is ContactEvent. */
export type WebhookEventOf<E extends WebhookEvent['entity']> = EventWithEntity<WebhookEvent, E>;
