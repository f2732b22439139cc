// The narrow slice of the amoCRM API that provisioning needs. `provisionApiFromClient` adapts the real
// AmoClient; tests may pass any object of this shape.
import type {
  CustomField,
  CustomFieldInput,
  Pipeline,
  PipelineInput,
  Status,
  StatusInput,
  WebhookSetting,
  WebhookSubscription,
} from '../amocrm/index.js';
import type { SpecEntity } from './spec.js';

/** PATCH body for one custom field: only what provisioning changes (the option list). */
export interface CustomFieldPatch {
  id: number;
  /** The FULL option list: existing options keep their `id`, new ones have none (amoCRM drops omitted ones). */
  enums: { id?: number; value: string; sort: number }[];
}

export interface ProvisionApi {
  /** GET /api/v4/leads/pipelines — all pipelines with their statuses embedded. */
  listPipelines(): Promise<Pipeline[]>;
  /** POST /api/v4/leads/pipelines — an array; statuses may be embedded. */
  createPipelines(items: PipelineInput[]): Promise<Pipeline[]>;
  /** POST /api/v4/leads/pipelines/{id}/statuses */
  createStatuses(pipelineId: number, items: StatusInput[]): Promise<Status[]>;
  /** GET /api/v4/{entity}/custom_fields, every page. */
  listCustomFields(entity: SpecEntity): Promise<CustomField[]>;
  /** POST /api/v4/{entity}/custom_fields (≤ 50 per call). */
  createCustomFields(entity: SpecEntity, items: CustomFieldInput[]): Promise<CustomField[]>;
  /** PATCH /api/v4/{entity}/custom_fields/{id} (one field: the emulator has no collection PATCH). */
  updateCustomField(entity: SpecEntity, patch: CustomFieldPatch): Promise<CustomField | null>;
  /** GET /api/v4/webhooks */
  listWebhooks(): Promise<WebhookSubscription[]>;
  /** POST /api/v4/webhooks — upsert by exact destination (also re-enables a disabled one). */
  subscribeWebhook(input: { destination: string; settings: WebhookSetting[] }): Promise<WebhookSubscription>;
}
