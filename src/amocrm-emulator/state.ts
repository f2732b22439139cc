// In-memory account state of the emulator and its seed (fact sheet §7).
import type { CustomField, EntityType, Status, Tag } from '../amocrm/types.js';
import { seedFields, seedPipelines, seedUsers } from './seed.js';

import type { EmulatorStore, PipelineRec, TagEntity } from './records.js';

export type * from './records.js';

export function createStore(accountId: number, nowSec: number): EmulatorStore {
  const store: EmulatorStore = {
    accountId,
    ids: { lead: 20000000, contact: 30000000, field: 500000, pipeline: 7000000, status: 70000000, tag: 100000, note: 900000, task: 600000, webhook: 800000, delivery: 0, enum: 1000000, event: 0, unsorted: 0 },
    leads: new Map(),
    contacts: new Map(),
    pipelines: new Map(),
    fields: new Map(),
    groups: [],
    notes: new Map(),
    tasks: new Map(),
    tags: { leads: new Map(), contacts: new Map(), companies: new Map(), customers: new Map() },
    users: seedUsers(),
    events: [],
    unsorted: new Map(),
    links: [],
    webhooks: [],
    deliveries: [],
    calls: [],
    paymentRequired: false,
  };
  for (const p of seedPipelines(store)) store.pipelines.set(p.id, p);
  for (const f of seedFields(store, nowSec)) store.fields.set(f.id, f);
  store.groups = (['leads', 'contacts', 'companies'] as const).map((e, i) => ({
    id: `${e}_${1600000000 + i}`,
    name: 'Основное',
    sort: 0,
    entity_type: e,
    is_predefined: true,
    type: 'predefined',
    account_id: accountId,
  }));
  return store;
}

export function nextId(store: EmulatorStore, kind: string): number {
  const n = (store.ids[kind] ?? 0) + 1;
  store.ids[kind] = n;
  return n;
}

export function mainPipeline(store: EmulatorStore): PipelineRec {
  const all = [...store.pipelines.values()];
  const p = all.find((x) => x.is_main) ?? all[0];
  if (!p) throw new Error('emulator has no pipelines');
  return p;
}

export function firstStage(p: PipelineRec): Status {
  const s = p.statuses.filter((x) => x.type === 0 && x.id !== 142 && x.id !== 143).sort((a, b) => a.sort - b.sort)[0];
  return s ?? (p.statuses[0] as Status);
}

export function unsortedStage(p: PipelineRec): Status | undefined {
  return p.statuses.find((x) => x.type === 1);
}

export function fieldsOf(store: EmulatorStore, entity: EntityType): CustomField[] {
  return [...store.fields.values()].filter((f) => f.entity_type === entity);
}

export function findOrCreateTag(store: EmulatorStore, entity: TagEntity, ref: { id?: number; name?: string }): Tag | undefined {
  const dict = store.tags[entity];
  if (typeof ref.id === 'number') return dict.get(ref.id);
  if (typeof ref.name !== 'string' || ref.name === '') return undefined;
  for (const t of dict.values()) if (t.name === ref.name) return t;
  const tag: Tag = { id: nextId(store, 'tag'), name: ref.name, color: null };
  dict.set(tag.id, tag);
  return tag;
}
