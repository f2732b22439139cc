// Builders for account snapshots in provisioning tests (wire shapes from src/amocrm/types.ts).
import type { CustomField, CustomFieldType, EntityType, Pipeline, Status, WebhookSubscription } from '../src/amocrm/types.js';
import type { AccountSnapshot, Action } from '../src/provision/types.js';

let nextId = 1000;

export function status(pipelineId: number, name: string, sort: number, extra: Partial<Status> = {}): Status {
  return {
    id: extra.id ?? nextId++,
    name,
    sort,
    is_editable: true,
    pipeline_id: pipelineId,
    color: '#99ccff',
    type: 0,
    account_id: 1,
    ...extra,
  };
}

export function pipeline(name: string, stageNames: string[], extra: Partial<Pipeline> = {}): Pipeline {
  const id = extra.id ?? nextId++;
  return {
    id,
    name,
    sort: 1,
    is_main: false,
    is_unsorted_on: true,
    is_archive: false,
    account_id: 1,
    ...extra,
    _embedded: {
      statuses: [
        status(id, 'Неразобранное', 10, { type: 1, is_editable: false }),
        ...stageNames.map((n, i) => status(id, n, 20 + i * 10)),
        status(id, 'Успешно реализовано', 10000, { id: 142, is_editable: false }),
        status(id, 'Закрыто и не реализовано', 11000, { id: 143, is_editable: false }),
      ],
    },
  };
}

export function field(
  entity: EntityType,
  name: string,
  type: CustomFieldType,
  extra: Partial<CustomField> & { options?: string[] } = {},
): CustomField {
  const { options, ...rest } = extra;
  return {
    id: nextId++,
    name,
    code: null,
    sort: 500,
    type,
    entity_type: entity,
    is_predefined: false,
    is_deletable: true,
    is_api_only: false,
    group_id: null,
    required_statuses: null,
    enums: options ? options.map((value, i) => ({ id: nextId++, value, sort: (i + 1) * 10 })) : null,
    ...rest,
  };
}

export function webhook(destination: string, settings: string[], disabled = false): WebhookSubscription {
  return { id: nextId++, destination, created_at: 1, updated_at: 1, account_id: 1, created_by: 1, sort: 1, disabled, settings };
}

/** A fresh amoCRM account: main pipeline, PHONE/EMAIL on contacts and companies, tracking fields on leads. */
export function emptyAccount(): AccountSnapshot {
  const multitext = (entity: EntityType, name: string, code: string): CustomField =>
    field(entity, name, 'multitext', { code, is_predefined: true, is_deletable: false, options: ['WORK', 'MOB'] });
  return {
    pipelines: [pipeline('Воронка', ['Первичный контакт', 'Переговоры'], { is_main: true })],
    fields: {
      leads: ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM', 'GCLID'].map((code) =>
        field('leads', code.toLowerCase(), 'tracking_data', { code, is_predefined: true, is_deletable: false }),
      ),
      contacts: [multitext('contacts', 'Телефон', 'PHONE'), multitext('contacts', 'Email', 'EMAIL')],
      companies: [multitext('companies', 'Телефон', 'PHONE'), multitext('companies', 'Email', 'EMAIL')],
    },
    webhooks: [],
  };
}

/** What the account looks like after amoCRM carried out `actions` (pure, for the "second run" tests). */
export function withActionsApplied(snapshot: AccountSnapshot, actions: Action[]): AccountSnapshot {
  const next: AccountSnapshot = structuredClone(snapshot);
  for (const a of actions) {
    if (a.kind === 'create_pipeline') {
      const stages = (a.input._embedded?.statuses ?? []).map((s) => s.name);
      next.pipelines.push(pipeline(a.input.name, stages, { sort: a.input.sort }));
    } else if (a.kind === 'create_stages') {
      const p = next.pipelines.find((x) => x.id === a.pipelineId);
      for (const s of a.inputs) p?._embedded.statuses.push(status(a.pipelineId, s.name, s.sort ?? 500));
    } else if (a.kind === 'create_field') {
      const { name, type, code, enums } = a.input;
      next.fields[a.entity].push(field(a.entity, name, type, { code: code ?? null, ...(enums ? { options: enums.map((e) => e.value) } : {}) }));
    } else if (a.kind === 'add_enums') {
      const f = next.fields[a.entity].find((x) => x.id === a.fieldId);
      if (f) f.enums = a.patch.enums.map((e) => ({ id: e.id ?? nextId++, value: e.value, sort: e.sort }));
    } else {
      next.webhooks = next.webhooks.filter((w) => w.destination !== a.destination);
      next.webhooks.push(webhook(a.destination, a.settings));
    }
  }
  return next;
}
