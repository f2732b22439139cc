// Record types of the emulator's in-memory state (internal shapes; wire shapes come from serialize.ts).
import type {
  AmoEvent,
  CustomField,
  CustomFieldGroup,
  CustomFieldValues,
  EntityType,
  Note,
  Status,
  Tag,
  Task,
  User,
  WebhookSubscription,
} from '../amocrm/types.js';

export type TagEntity = 'leads' | 'contacts' | 'companies' | 'customers';

export interface LeadRec {
  id: number;
  name: string;
  price: number;
  responsible_user_id: number;
  group_id: number;
  status_id: number;
  pipeline_id: number;
  loss_reason_id: number | null;
  source_id: number | null;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  closest_task_at: number | null;
  is_deleted: boolean;
  cfv: CustomFieldValues[];
  tags: number[];
  contacts: { id: number; is_main: boolean }[];
  companies: number[];
  hidden: boolean; // unsorted, not accepted yet
}

export interface ContactRec {
  id: number;
  kind: 'contact' | 'company';
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
  cfv: CustomFieldValues[];
  tags: number[];
  companies: number[]; // contact → companies; company → contacts
  hidden: boolean;
}

export interface PipelineRec {
  id: number;
  name: string;
  sort: number;
  is_main: boolean;
  is_unsorted_on: boolean;
  is_archive: boolean;
  statuses: Status[];
}

export interface UnsortedRec {
  uid: string;
  source_uid: string;
  source_name: string;
  category: 'forms' | 'sip';
  pipeline_id: number;
  created_at: number;
  metadata: Record<string, unknown>;
  request_id: string;
  leads: number[];
  contacts: number[];
  companies: number[];
  state: 'pending' | 'accepted' | 'declined';
  dupKey: string;
}

export interface LinkRec {
  from: { type: TagEntity; id: number };
  to: { type: string; id: number };
  metadata: Record<string, unknown> | null;
}

export interface DeliveryRec {
  id: number;
  subscription_id: number;
  destination: string;
  body: string;
  attempt: number;
  status: 'pending' | 'ok' | 'failed' | 'retry_scheduled' | 'dropped' | 'disabled';
  http_status: number | null;
  error: string | null;
  at: number;
  items: { key: string; action: string; id: unknown }[];
}

export interface CallRec {
  at: number;
  method: string;
  path: string;
  status: number;
}

export interface EmulatorStore {
  accountId: number;
  ids: Record<string, number>;
  leads: Map<number, LeadRec>;
  contacts: Map<number, ContactRec>; // contacts and companies share the map; `kind` tells them apart
  pipelines: Map<number, PipelineRec>;
  fields: Map<number, CustomField>;
  groups: CustomFieldGroup[];
  notes: Map<number, Note & { entity_type: TagEntity }>;
  tasks: Map<number, Task>;
  tags: Record<TagEntity, Map<number, Tag>>;
  users: User[];
  events: AmoEvent[];
  unsorted: Map<string, UnsortedRec>;
  links: LinkRec[];
  webhooks: WebhookSubscription[];
  deliveries: DeliveryRec[];
  calls: CallRec[];
  paymentRequired: boolean;
}

