// Pure comparison of the config's `account:` section with an account snapshot. No I/O: the caller loads
// the snapshot (`loadSnapshot`) and executes the actions (`applyProvision`). Nothing is ever deleted or
// retyped: what cannot be fixed by creating becomes a Problem with a fix for a human.
import type { CustomField, Pipeline, StatusInput, WebhookSetting } from '../amocrm/index.js';
import {
  ENUM_FIELD_TYPES,
  SPEC_ENTITIES,
  type FieldSpec,
  type PipelineSpec,
  type ProvisionSpec,
  type SpecEntity,
} from './spec.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';
import type {
  AccountSnapshot,
  Action,
  PlanOptions,
  Problem,
  ProvisionPlan,
  ResolvedField,
  ResolvedMap,
} from './types.js';

const norm = (s: string): string => s.trim().toLowerCase();

/** tracking_data cannot be created through the API, so missing ones are created as text (fact sheet §7.6). */
const sameKind = (want: string, have: string): boolean =>
  want === have || (want === 'tracking_data' && have === 'text') || (want === 'text' && have === 'tracking_data');

export function planProvision(spec: ProvisionSpec, snapshot: AccountSnapshot, options: PlanOptions = {}): ProvisionPlan {
  const actions: Action[] = [];
  const problems: Problem[] = [];
  const resolved: ResolvedMap = { pipelines: {}, fields: { leads: {}, contacts: {}, companies: {} } };

  let nextPipelineSort = Math.max(0, ...snapshot.pipelines.map((p) => p.sort)) + 1;
  spec.pipelines.forEach((p) => {
    const existing = snapshot.pipelines.find((x) => norm(x.name) === norm(p.name));
    if (!existing) {
      actions.push(createPipelineAction(p, nextPipelineSort++));
      return;
    }
    const stages: Record<string, number> = {};
    const missing = p.stages.filter((s) => {
      const status = existing._embedded.statuses.find((x) => norm(x.name) === norm(s.name));
      if (status) stages[s.key] = status.id;
      return !status;
    });
    resolved.pipelines[p.key] = { id: existing.id, stages };
    if (missing.length > 0) {
      let sort = maxRegularSort(existing);
      const inputs: StatusInput[] = missing.map((s) => ({
        name: s.name,
        sort: (sort += 10),
        ...(s.color ? { color: s.color } : {}),
        request_id: s.key,
      }));
      actions.push({ kind: 'create_stages', pipeline: p.key, pipelineId: existing.id, inputs, stages: missing.map((s) => s.key) });
    }
  });

  for (const entity of SPEC_ENTITIES) {
    spec.fields[entity].forEach((f, i) => {
      const path = `account.fields.${entity}[${i}]`;
      const outcome = planField(entity, f, path, snapshot);
      actions.push(...outcome.actions);
      problems.push(...outcome.problems);
      if (outcome.resolved) resolved.fields[entity][f.key] = outcome.resolved;
    });
  }

  if (options.webhookUrl) {
    const action = planWebhook(options.webhookUrl, options.webhookSettings ?? WEBHOOK_SETTINGS, snapshot);
    if (action) actions.push(action);
  }

  return { actions, resolved, problems, spec, options };
}

function createPipelineAction(p: PipelineSpec, sort: number): Action {
  return {
    kind: 'create_pipeline',
    pipeline: p.key,
    stages: p.stages.map((s) => s.key),
    input: {
      name: p.name,
      sort,
      is_main: false,
      is_unsorted_on: p.unsorted,
      request_id: p.key,
      _embedded: {
        // Regular stages start at sort 20: the unsorted stage sits at 10 (fact sheet §7.5).
        statuses: p.stages.map((s, i) => ({
          name: s.name,
          sort: 20 + i * 10,
          ...(s.color ? { color: s.color } : {}),
          request_id: s.key,
        })),
      },
    },
  };
}

function maxRegularSort(p: Pipeline): number {
  const regular = p._embedded.statuses.filter((s) => s.id !== 142 && s.id !== 143);
  return Math.max(10, ...regular.map((s) => s.sort));
}

interface FieldOutcome {
  actions: Action[];
  problems: Problem[];
  resolved?: ResolvedField;
}

function findField(
  entity: SpecEntity,
  f: FieldSpec,
  snapshot: AccountSnapshot,
): { field: CustomField; by: 'id' | 'code' | 'name' } | undefined {
  const all = snapshot.fields[entity];
  if (f.id !== undefined) {
    const byId = all.find((x) => x.id === f.id);
    return byId ? { field: byId, by: 'id' } : undefined;
  }
  const code = f.code;
  const byCode = code ? all.find((x) => x.code !== null && norm(x.code) === norm(code)) : undefined;
  if (byCode) return { field: byCode, by: 'code' };
  if (f.name === undefined) return undefined;
  // By name only when the account field has no code of its own: another code means another field.
  const name = f.name;
  const byName = all.find((x) => norm(x.name) === norm(name) && x.code === null);
  return byName ? { field: byName, by: 'name' } : undefined;
}

function label(entity: SpecEntity, f: FieldSpec): string {
  const what = f.name ?? f.code ?? (f.id !== undefined ? `#${f.id}` : f.key);
  return `${entity} field "${what}" (${f.key})`;
}

function planField(entity: SpecEntity, f: FieldSpec, path: string, snapshot: AccountSnapshot): FieldOutcome {
  const target = { kind: 'field', entity, field: f.key } as const;
  const match = findField(entity, f, snapshot);
  const problem = (message: string, fix: string): FieldOutcome => ({ actions: [], problems: [{ target, path, message, fix }] });

  // A same-named field of another type is a different field: with a code of our own, create ours beside it.
  if (match?.by === 'name' && !sameKind(f.type, match.field.type) && f.code && !f.predefined) {
    const note = `a field with this name but type ${match.field.type} exists (#${match.field.id}); creating a separate one`;
    return { actions: [createFieldAction(entity, f, note)], problems: [] };
  }
  const found = match?.field;
  if (!found) {
    if (f.id !== undefined) {
      const elsewhere = SPEC_ENTITIES.find((e) => e !== entity && snapshot.fields[e].some((x) => x.id === f.id));
      return elsewhere
        ? problem(
            `${label(entity, f)}: field id ${f.id} belongs to ${elsewhere}, not ${entity}`,
            `move it under account.fields.${elsewhere} or use the id of a ${entity} field`,
          )
        : problem(
            `${label(entity, f)}: no field with id ${f.id} in ${entity}`,
            'remove `id:` and give a code and name so setup creates it, or put the right id from amoCRM',
          );
    }
    if (f.predefined) {
      return problem(
        `${label(entity, f)}: the built-in field ${f.code ?? f.name} is missing from ${entity}`,
        'restore the built-in field in amoCRM (Settings → Fields), or drop `predefined: true` so setup creates it',
      );
    }
    return { actions: [createFieldAction(entity, f)], problems: [] };
  }

  if (!sameKind(f.type, found.type)) {
    return problem(
      `${label(entity, f)}: amoCRM field ${found.id} is of type ${found.type}, the config says ${f.type}`,
      `set \`type: ${found.type}\` in the config, or rename the amoCRM field and run setup again (Leadbridge never changes or deletes fields)`,
    );
  }

  const enums: Record<string, number> = {};
  for (const e of found.enums ?? []) enums[e.value] = e.id;
  const resolved: ResolvedField = { id: found.id, code: found.code, type: found.type, enums };
  const missing = (f.enums ?? []).filter((v) => !(found.enums ?? []).some((e) => norm(e.value) === norm(v)));
  if (missing.length === 0) return { actions: [], problems: [], resolved };

  if (!ENUM_FIELD_TYPES.includes(found.type) || found.is_predefined) {
    return problem(
      `${label(entity, f)}: options ${missing.join(', ')} are missing and this field's options cannot be edited`,
      'add the options in amoCRM by hand or remove them from the config',
    );
  }
  const existing = found.enums ?? [];
  let sort = Math.max(0, ...existing.map((e) => e.sort));
  const patch = {
    id: found.id,
    enums: [...existing.map((e) => ({ id: e.id, value: e.value, sort: e.sort })), ...missing.map((value) => ({ value, sort: (sort += 10) }))],
  };
  return {
    actions: [{ kind: 'add_enums', entity, field: f.key, fieldId: found.id, values: missing, patch }],
    problems: [],
    resolved,
  };
}

function createFieldAction(entity: SpecEntity, f: FieldSpec, why?: string): Extract<Action, { kind: 'create_field' }> {
  const tracking = f.type === 'tracking_data';
  const notes = [why, tracking ? 'tracking fields cannot be created through the API; created as a text field' : undefined].filter(
    (n): n is string => n !== undefined,
  );
  return {
    kind: 'create_field',
    entity,
    field: f.key,
    input: {
      // Guarded by the schema: a creatable field always has a name.
      name: f.name ?? f.code ?? f.key,
      type: tracking ? 'text' : f.type,
      ...(f.code ? { code: f.code } : {}),
      ...(f.enums ? { enums: f.enums.map((value, i) => ({ value, sort: (i + 1) * 10 })) } : {}),
      request_id: f.key,
    },
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

function planWebhook(url: string, wanted: readonly WebhookSetting[], snapshot: AccountSnapshot): Action | undefined {
  const sub = snapshot.webhooks.find((w) => w.destination === url);
  if (!sub) return { kind: 'subscribe_webhook', destination: url, settings: [...wanted], reason: 'missing' };
  const lacking = wanted.filter((s) => !sub.settings.includes(s));
  if (!sub.disabled && lacking.length === 0) return undefined;
  // POST is an upsert by destination: keep whatever else was subscribed, add ours, re-enable.
  return {
    kind: 'subscribe_webhook',
    destination: url,
    settings: [...sub.settings, ...lacking],
    reason: sub.disabled ? 'disabled' : 'settings',
  };
}
