import type {
  CustomField,
  CustomFieldInput,
  CustomFieldType,
  Pipeline,
  PipelineInput,
  StatusInput,
  WebhookSetting,
  WebhookSubscription,
} from '../amocrm/index.js';
import type { ProvisionSpec, SpecEntity } from './spec.js';
import type { CustomFieldPatch } from './port.js';

/** What the account looks like right now (everything `planProvision` compares against). */
export interface AccountSnapshot {
  pipelines: Pipeline[];
  fields: Record<SpecEntity, CustomField[]>;
  webhooks: WebhookSubscription[];
}

/** The thing in the config an action or problem is about. Keys are the config's `key:` values. */
export type Target =
  | { kind: 'pipeline'; pipeline: string }
  | { kind: 'stage'; pipeline: string; stage: string }
  | { kind: 'field'; entity: SpecEntity; field: string }
  | { kind: 'webhook' };

export type Action =
  | { kind: 'create_pipeline'; pipeline: string; input: PipelineInput; stages: string[] }
  | { kind: 'create_stages'; pipeline: string; pipelineId: number; inputs: StatusInput[]; stages: string[] }
  | { kind: 'create_field'; entity: SpecEntity; field: string; input: CustomFieldInput; note?: string }
  | { kind: 'add_enums'; entity: SpecEntity; field: string; fieldId: number; values: string[]; patch: CustomFieldPatch }
  | {
      kind: 'subscribe_webhook';
      destination: string;
      settings: WebhookSetting[];
      reason: 'missing' | 'disabled' | 'settings';
    };

/** Something setup cannot fix by creating things (it never deletes or retypes): a human must decide. */
export interface Problem {
  target: Target;
  /** Where in leadbridge.yaml: `account.fields.leads[3]`. */
  path: string;
  message: string;
  fix: string;
}

export interface ResolvedField {
  id: number;
  code: string | null;
  type: CustomFieldType;
  /** Every option of the field in the account: value → enum id. */
  enums: Record<string, number>;
}

/** Config keys → account ids. Persisted after setup; delivery maps form values through it. */
export interface ResolvedMap {
  pipelines: Record<string, { id: number; stages: Record<string, number> }>;
  fields: Record<SpecEntity, Record<string, ResolvedField>>;
}

export interface PlanOptions {
  /** Leadbridge's webhook URL (with its secret). Without it the webhook is not planned. */
  webhookUrl?: string;
  webhookSettings?: readonly WebhookSetting[];
}

export interface ProvisionPlan {
  actions: Action[];
  /** Ids of everything that already exists (things still to be created are absent). */
  resolved: ResolvedMap;
  problems: Problem[];
  /** Kept so `applyProvision` can re-read the account and re-plan after writing. */
  spec: ProvisionSpec;
  options: PlanOptions;
}

export interface ApplyResult {
  resolved: ResolvedMap;
  applied: Action[];
  /** Problems still present after applying (from re-planning against the re-read account). */
  problems: Problem[];
}

export interface ApplyOptions {
  /** Called after each step, e.g. to print progress. */
  onApplied?: (action: Action) => void;
}
