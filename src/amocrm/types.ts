// amoCRM API v4 wire types, snake_case exactly as on the wire (fact sheet: shared/docs/amocrm-api.md).
// The client, the emulator and the fixtures all use these, so shapes cannot drift apart.
// Timestamps are Unix seconds. Ids are ints, except unsorted `uid`, event ids and chat ids (strings).

export interface HalLink {
  href: string;
}

export interface HalLinks {
  self?: HalLink;
  next?: HalLink;
  prev?: HalLink;
  first?: HalLink;
  last?: HalLink;
}

/** A list page: `{_page, _links, _embedded: {<key>: T[]}}` (plus `_total_items`/`_page_count` on some endpoints). */
export interface HalPage<K extends string, T> {
  _page?: number;
  _page_count?: number;
  _total_items?: number;
  _links: HalLinks;
  _embedded: Record<K, T[]>;
}

// ---------------------------------------------------------------- errors (RFC 7807 problem+json)

export interface ValidationErrorItem {
  code: string; // NotSupportedChoice | InvalidType | FieldNotExpected | NotBlank | NotFound | Length | …
  path: string; // dotted path into the item: custom_fields_values.0.field_id
  detail: string;
}

export interface ValidationErrorEntry {
  request_id: string;
  errors: ValidationErrorItem[];
}

export interface AmoProblem {
  title?: string;
  type?: string;
  status?: number;
  detail?: string;
  hint?: string; // OAuth problems: "Token has been revoked"
  retry_after?: number; // 429 (Kommo variant)
  trace_id?: string;
  'validation-errors'?: ValidationErrorEntry[];
  /**
   * amoCRM's second 400 shape ("Invalid request body"): messages keyed by entity id, e.g.
   * `{"errors":{"11062353":"Loss reason can be specified only for lost lead"}}`, and no `validation-errors`.
   */
  errors?: Record<string, string>;
}

// ---------------------------------------------------------------- OAuth

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  access_token: string;
  refresh_token: string;
  server_time?: number;
}

export interface AccountSubdomainInfo {
  id: number;
  subdomain: string;
  domain: string;
  top_level_domain: string;
}

// ---------------------------------------------------------------- custom fields

export type CustomFieldType =
  | 'text'
  | 'numeric'
  | 'checkbox'
  | 'select'
  | 'multiselect'
  | 'date'
  | 'url'
  | 'textarea'
  | 'radiobutton'
  | 'streetaddress'
  | 'smart_address'
  | 'birthday'
  | 'legal_entity'
  | 'date_time'
  | 'price'
  | 'category'
  | 'items'
  | 'tracking_data'
  | 'linked_entity'
  | 'chained_list'
  | 'monetary'
  | 'file'
  | 'payer'
  | 'supplier'
  | 'multitext';

export type EntityType = 'leads' | 'contacts' | 'companies' | 'customers';

export interface CustomFieldEnum {
  id: number;
  value: string;
  sort: number;
  code?: string | null;
}

export interface CustomField {
  id: number;
  name: string;
  code: string | null;
  sort: number;
  type: CustomFieldType;
  entity_type: EntityType;
  is_predefined: boolean;
  is_deletable: boolean;
  is_api_only: boolean;
  is_computed?: boolean;
  group_id: string | null;
  required_statuses: { status_id: number; pipeline_id: number }[] | null;
  enums: CustomFieldEnum[] | null;
  remind?: string | null;
  currency?: string | null;
  settings?: unknown;
  account_id?: number;
  _links?: HalLinks;
}

export interface CustomFieldInput {
  name: string;
  type: CustomFieldType;
  code?: string;
  sort?: number;
  group_id?: string;
  is_api_only?: boolean;
  enums?: { value: string; sort?: number; code?: string }[];
  request_id?: string;
}

export interface CustomFieldGroup {
  id: string;
  name: string;
  sort: number;
  entity_type: EntityType;
  is_predefined?: boolean;
  type?: string;
  account_id?: number;
}

/** A value as written: text/number/bool/unix ts, or by enum id/code. */
export interface CustomFieldValueInput {
  value?: string | number | boolean | Record<string, unknown>;
  enum_id?: number;
  enum_code?: string;
}

export interface CustomFieldValuesInput {
  field_id?: number;
  field_code?: string;
  values: CustomFieldValueInput[] | null; // null clears the field
}

/** A value as read back. */
export interface CustomFieldValues {
  field_id: number;
  field_name: string;
  field_code: string | null;
  field_type: CustomFieldType;
  values: { value: string | number | boolean | Record<string, unknown>; enum_id?: number; enum_code?: string }[];
}

// ---------------------------------------------------------------- tags

export interface Tag {
  id: number;
  name: string;
  color: string | null;
}

export type TagRef = { id: number } | { name: string };

// ---------------------------------------------------------------- leads

export interface EmbeddedRef {
  id: number;
  is_main?: boolean;
  _links?: HalLinks;
}

export interface Lead {
  id: number;
  name: string;
  price: number;
  responsible_user_id: number;
  group_id: number;
  status_id: number;
  pipeline_id: number;
  loss_reason_id: number | null;
  source_id?: number | null;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  closest_task_at: number | null;
  is_deleted: boolean;
  custom_fields_values: CustomFieldValues[] | null;
  score: number | null;
  account_id: number;
  labor_cost?: number | null;
  _links: HalLinks;
  _embedded: {
    tags: Tag[];
    companies: EmbeddedRef[];
    contacts?: EmbeddedRef[];
  };
}

export interface LeadInput {
  id?: number; // PATCH only
  name?: string;
  price?: number;
  status_id?: number;
  pipeline_id?: number;
  created_by?: number;
  updated_by?: number;
  created_at?: number;
  updated_at?: number;
  closed_at?: number;
  loss_reason_id?: number;
  responsible_user_id?: number;
  custom_fields_values?: CustomFieldValuesInput[] | null;
  tags_to_add?: TagRef[];
  tags_to_delete?: TagRef[];
  _embedded?: {
    tags?: TagRef[] | null; // replaces the whole tag set; null detaches all
    contacts?: { id: number; is_main?: boolean }[];
    companies?: { id: number }[];
    source?: { external_id: number | string; type: string };
  };
  request_id?: string;
}

/** Item of a batch write response (`_embedded.leads[]`, `contacts[]`, …). */
export interface BatchResultItem {
  id: number;
  request_id: string;
  updated_at?: number;
  _links?: HalLinks;
}

// ---------------------------------------------------------------- complex create

export interface ContactInput {
  id?: number;
  name?: string;
  first_name?: string;
  last_name?: string;
  responsible_user_id?: number;
  custom_fields_values?: CustomFieldValuesInput[] | null;
  tags_to_add?: TagRef[];
  tags_to_delete?: TagRef[];
  _embedded?: { tags?: TagRef[] | null; companies?: { id: number }[] };
  request_id?: string;
}

export interface CompanyInput {
  id?: number;
  name?: string;
  responsible_user_id?: number;
  custom_fields_values?: CustomFieldValuesInput[] | null;
  tags_to_add?: TagRef[];
  _embedded?: { tags?: TagRef[] | null };
  request_id?: string;
}

export interface UnsortedMetadataForms {
  category: 'forms';
  form_id: string | number;
  form_name: string;
  form_page: string;
  form_sent_at: number;
  ip?: string;
  referer?: string;
  visitor_uid?: string;
}

export interface UnsortedMetadataSip {
  category: 'sip';
  phone: string;
  called_at: number;
  duration?: number;
  link?: string;
  service_code: string;
  uniq: string;
  call_responsible?: number;
  is_call_event_needed?: boolean;
}

export interface ComplexLeadInput extends Omit<LeadInput, '_embedded' | 'id'> {
  _embedded?: {
    tags?: TagRef[];
    contacts?: ContactInput[]; // exactly one
    companies?: CompanyInput[]; // at most one
    metadata?: UnsortedMetadataForms | UnsortedMetadataSip;
    source?: { external_id: number | string; type: string };
  };
}

/** `/leads/complex` answers a bare array (no HAL). request_id is an array: merged items share a lead. */
export interface ComplexResultItem {
  id: number;
  contact_id: number | null;
  company_id: number | null;
  request_id: string[];
  merged: boolean;
}

// ---------------------------------------------------------------- contacts / companies

export interface Contact {
  id: number;
  name: string;
  first_name: string;
  last_name: string;
  responsible_user_id: number;
  group_id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  closest_task_at: number | null;
  is_deleted: boolean;
  is_unsorted?: boolean;
  custom_fields_values: CustomFieldValues[] | null;
  account_id: number;
  _links: HalLinks;
  _embedded: {
    tags: Tag[];
    companies: EmbeddedRef[];
    leads?: EmbeddedRef[];
  };
}

export interface Company {
  id: number;
  name: string;
  responsible_user_id: number;
  group_id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  closest_task_at: number | null;
  is_deleted: boolean;
  custom_fields_values: CustomFieldValues[] | null;
  account_id: number;
  _links: HalLinks;
  _embedded: {
    tags: Tag[];
    contacts?: EmbeddedRef[];
    leads?: EmbeddedRef[];
  };
}

// ---------------------------------------------------------------- pipelines

export const STATUS_WON = 142;
export const STATUS_LOST = 143;

export interface Status {
  id: number;
  name: string;
  sort: number;
  is_editable: boolean;
  pipeline_id: number;
  color: string;
  type: 0 | 1; // 1 = unsorted
  account_id: number;
  _links?: HalLinks;
}

export interface Pipeline {
  id: number;
  name: string;
  sort: number;
  is_main: boolean;
  is_unsorted_on: boolean;
  is_archive: boolean;
  account_id: number;
  _links?: HalLinks;
  _embedded: { statuses: Status[] };
}

export interface StatusInput {
  id?: number; // only to rename 142/143 inside a pipeline create
  name: string;
  sort?: number;
  color?: string;
  request_id?: string;
}

export interface PipelineInput {
  name: string;
  sort: number;
  is_main: boolean;
  is_unsorted_on: boolean;
  _embedded?: { statuses?: StatusInput[] };
  request_id?: string;
}

// ---------------------------------------------------------------- account, users

export interface Account {
  id: number;
  name: string;
  subdomain: string;
  current_user_id: number;
  country: string;
  currency: string;
  currency_symbol?: string;
  customers_mode: string;
  is_unsorted_on: boolean;
  is_loss_reason_enabled: boolean;
  is_helpbot_enabled: boolean;
  is_technical_account: boolean;
  contact_name_display_order: number;
  created_at: number;
  created_by: number;
  updated_at: number;
  updated_by: number;
  mobile_feature_version?: number;
  _links: HalLinks;
}

export interface UserRights {
  leads: Record<string, string>;
  contacts: Record<string, string>;
  companies: Record<string, string>;
  tasks: Record<string, string>;
  mail_access: boolean;
  catalog_access: boolean;
  files_access?: boolean;
  status_rights: unknown[];
  is_admin: boolean;
  is_free: boolean;
  is_active: boolean;
  group_id: number | null;
  role_id: number | null;
}

export interface User {
  id: number;
  name: string;
  email: string;
  lang: string;
  rights: UserRights;
  _links?: HalLinks;
}

// ---------------------------------------------------------------- notes, tasks

export type NoteType =
  | 'common'
  | 'call_in'
  | 'call_out'
  | 'service_message'
  | 'message_cashier'
  | 'geolocation'
  | 'sms_in'
  | 'sms_out'
  | 'extended_service_message'
  | 'attachment';

export interface NoteInput {
  entity_id: number;
  note_type: NoteType;
  params: Record<string, unknown>;
  created_by?: number;
  responsible_user_id?: number;
  request_id?: string;
  is_need_to_trigger_digital_pipeline?: boolean;
}

export interface Note {
  id: number;
  entity_id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  responsible_user_id: number;
  group_id: number;
  note_type: NoteType;
  params: Record<string, unknown>;
  account_id: number;
  _links?: HalLinks;
}

export interface TaskInput {
  id?: number;
  text: string;
  complete_till: number;
  entity_id?: number;
  entity_type?: EntityType;
  task_type_id?: number;
  responsible_user_id?: number;
  duration?: number;
  is_completed?: boolean;
  result?: { text: string };
  request_id?: string;
}

export interface Task {
  id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  responsible_user_id: number;
  group_id: number;
  entity_id: number | null;
  entity_type: EntityType | null;
  is_completed: boolean;
  task_type_id: number;
  text: string;
  duration: number;
  complete_till: number;
  result: { text: string } | []; // an empty result serialises as [] (PHP quirk)
  account_id: number;
  _links?: HalLinks;
}

// ---------------------------------------------------------------- links

export interface EntityLink {
  entity_id?: number;
  entity_type?: EntityType;
  to_entity_id: number;
  to_entity_type: EntityType | 'catalog_elements';
  metadata?: Record<string, unknown> | null;
}

// ---------------------------------------------------------------- unsorted

export interface UnsortedFormInput {
  request_id?: string;
  source_name: string;
  source_uid: string;
  pipeline_id?: number;
  created_at?: number;
  _embedded: {
    leads: Omit<LeadInput, 'id'>[];
    contacts?: ContactInput[];
    companies?: CompanyInput[];
  };
  metadata: Omit<UnsortedMetadataForms, 'category'>;
}

export interface Unsorted {
  uid: string;
  source_uid?: string;
  source_name?: string;
  category: 'forms' | 'sip' | 'chats' | 'mail';
  pipeline_id: number;
  created_at: number;
  metadata?: Record<string, unknown>;
  account_id: number;
  request_id?: string;
  _embedded: {
    leads: { id: number }[];
    contacts: { id: number }[];
    companies: { id: number }[];
  };
}

// ---------------------------------------------------------------- events

export interface AmoEvent {
  id: string;
  type: string; // lead_added, lead_status_changed, entity_responsible_changed, …
  entity_id: number;
  entity_type: string; // lead | contact | company | task
  created_by: number;
  created_at: number;
  value_after: Record<string, unknown>[];
  value_before: Record<string, unknown>[];
  account_id: number;
  _links?: HalLinks;
  _embedded?: { entity?: { id: number } };
}

// ---------------------------------------------------------------- webhook subscriptions

export type WebhookSetting =
  | 'add_lead'
  | 'update_lead'
  | 'delete_lead'
  | 'restore_lead'
  | 'status_lead'
  | 'responsible_lead'
  | 'note_lead'
  | 'add_contact'
  | 'update_contact'
  | 'delete_contact'
  | 'restore_contact'
  | 'responsible_contact'
  | 'note_contact'
  | 'add_company'
  | 'update_company'
  | 'delete_company'
  | 'restore_company'
  | 'responsible_company'
  | 'note_company'
  | 'add_customer'
  | 'update_customer'
  | 'delete_customer'
  | 'responsible_customer'
  | 'note_customer'
  | 'add_task'
  | 'update_task'
  | 'delete_task'
  | 'responsible_task'
  | 'add_talk'
  | 'update_talk'
  | 'add_chat_template_review'
  | (string & {}); // UNCONFIRMED extras (add_unsorted, add_message, …) pass through

export interface WebhookSubscription {
  id: number;
  destination: string;
  created_at: number;
  updated_at: number;
  account_id: number;
  created_by: number;
  sort: number;
  disabled: boolean;
  settings: WebhookSetting[];
}
