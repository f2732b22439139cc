import type { AmoClient } from '../amocrm/index.js';
import type { ProvisionApi } from './port.js';

/** The real AmoClient as a ProvisionApi. */
export function provisionApiFromClient(client: AmoClient): ProvisionApi {
  return {
    listPipelines: () => client.pipelines.list(),
    createPipelines: (items) => client.pipelines.create(items),
    createStatuses: (pipelineId, items) => client.pipelines.statuses.create(pipelineId, items),
    listCustomFields: (entity) => client.customFields.listAll(entity),
    createCustomFields: (entity, items) => client.customFields.create(entity, items),
    updateCustomField: (entity, { id, enums }) => client.customFields.updateOne(entity, id, { enums }),
    listWebhooks: () => client.webhooks.list(),
    subscribeWebhook: (input) => client.webhooks.subscribe(input),
  };
}
