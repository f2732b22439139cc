// Item normalisers for tasks, notes, unsorted, chat messages and talks (fact sheet §8.5–§8.8).

import type { HookMessage, HookNote, HookTalk, HookTask, HookUnsorted, HookUnsortedResult } from './events.js';
import { bool, child, compact, isTree, num, numOrStr, numbers, sanitizeJson, str, toRawObject } from './tree.js';
import type { RawValue, Tree } from './tree.js';

const METADATA_MAX_DEPTH = 12;

export function toTask(t: Tree): HookTask | undefined {
  const id = num(t, 'id');
  if (id === undefined) return undefined;
  const result = child(t, 'result');
  return compact({
    id,
    elementId: num(t, 'element_id'),
    elementType: num(t, 'element_type'),
    taskType: num(t, 'task_type'),
    text: str(t, 'text'),
    oldText: str(t, 'old_text'),
    completed: bool(t, 'status'),
    actionClose: bool(t, 'action_close'),
    accountId: num(t, 'account_id'),
    createdUserId: num(t, 'created_user_id'),
    responsibleUserId: num(t, 'responsible_user_id'),
    oldResponsibleUserId: num(t, 'old_responsible_user_id'),
    dateCreate: str(t, 'date_create'),
    lastModified: str(t, 'last_modified'),
    completeTill: str(t, 'complete_till'),
    completeBefore: num(t, 'complete_before'),
    result: result ? compact({ id: num(result, 'id'), text: str(result, 'text') }) : undefined,
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}

/** `key[note][n]` items hold the note under a nested `note` key, plus a sibling `type` for contacts/companies. */
export function toNote(item: Tree, key: string): HookNote | undefined {
  const t = child(item, 'note') ?? item;
  const id = num(t, 'id');
  if (id === undefined) return undefined;
  return compact({
    id,
    parent: noteParent(item, t, key),
    text: str(t, 'text'),
    noteType: num(t, 'note_type'),
    elementId: num(t, 'element_id'),
    elementType: num(t, 'element_type'),
    attachment: str(t, 'attachement') ?? str(t, 'attachment'),
    dateCreate: numOrStr(t, 'date_create'),
    timestampX: numOrStr(t, 'timestamp_x'),
    createdBy: num(t, 'created_by'),
    modifiedBy: num(t, 'modified_by'),
    mainUserId: num(t, 'main_user_id'),
    accountId: num(t, 'account_id'),
    catalogId: num(t, 'catalog_id'),
    groupId: num(t, 'group_id'),
    metadata: parseMetadata(t),
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}

function noteParent(item: Tree, note: Tree, key: string): HookNote['parent'] {
  if (key === 'leads') return 'lead';
  if (key === 'customers') return 'customer';
  const type = str(item, 'type') ?? str(note, 'type');
  if (type === 'company' || num(note, 'element_type') === 3) return 'company';
  return 'contact';
}

function parseMetadata(t: Tree): RawValue | undefined {
  const m = t.get('metadata');
  if (m === undefined || m === null) return undefined;
  if (isTree(m)) return toRawObject(m); // a JSON body may already carry it as an object
  if (typeof m !== 'string' || m.trim() === '') return undefined;
  try {
    return sanitizeJson(JSON.parse(m), METADATA_MAX_DEPTH);
  } catch {
    return undefined;
  }
}

export function toUnsorted(t: Tree): HookUnsorted | undefined {
  const uid = str(t, 'uid');
  if (uid === undefined || uid === '') return undefined;
  const sourceData = child(t, 'source_data');
  const data = child(t, 'data');
  return compact({
    uid,
    category: str(t, 'category'),
    accountId: num(t, 'account_id'),
    userId: num(t, 'user_id'),
    source: str(t, 'source'),
    sourceId: num(t, 'source_id'),
    pipelineId: num(t, 'pipeline_id'),
    leadId: num(t, 'lead_id'),
    requestId: str(t, 'request_id'),
    createdAt: num(t, 'created_at'),
    sourceData: sourceData ? toRawObject(sourceData) : undefined,
    data: data ? toRawObject(data) : undefined,
    acceptResult: unsortedResult(t, 'accept_result'),
    declineResult: unsortedResult(t, 'decline_result'),
  });
}

function unsortedResult(t: Tree, key: string): HookUnsortedResult | undefined {
  const r = child(t, key);
  if (!r) return undefined;
  return {
    leads: numbers(r.get('leads')),
    contacts: numbers(r.get('contacts')),
    companies: numbers(r.get('companies')),
  };
}

export function unsortedAction(t: Tree): 'accept' | 'decline' | undefined {
  const a = str(t, 'action')?.trim().toLowerCase();
  if (a === 'accept' || a === 'decline') return a;
  if (child(t, 'accept_result')) return 'accept';
  if (child(t, 'decline_result')) return 'decline';
  return undefined;
}

export function toMessage(t: Tree): HookMessage | undefined {
  const id = str(t, 'id');
  if (id === undefined || id === '') return undefined;
  const author = child(t, 'author');
  const attachment = child(t, 'attachment');
  return compact({
    id,
    chatId: str(t, 'chat_id'),
    talkId: num(t, 'talk_id'),
    contactId: num(t, 'contact_id'),
    text: str(t, 'text'),
    createdAt: num(t, 'created_at'),
    elementType: num(t, 'element_type'),
    elementId: num(t, 'element_id'),
    entityType: str(t, 'entity_type'),
    entityId: num(t, 'entity_id'),
    type: str(t, 'type'),
    origin: str(t, 'origin'),
    author: author
      ? compact({
          id: str(author, 'id'),
          type: str(author, 'type'),
          name: str(author, 'name'),
          avatarUrl: str(author, 'avatar_url'),
        })
      : undefined,
    attachment: attachment ? compact({ type: str(attachment, 'type'), link: str(attachment, 'link') }) : undefined,
  });
}

export function toTalk(t: Tree): HookTalk | undefined {
  const talkId = num(t, 'talk_id') ?? num(t, 'id');
  if (talkId === undefined) return undefined;
  return compact({
    talkId,
    chatId: str(t, 'chat_id'),
    contactId: num(t, 'contact_id'),
    entityId: num(t, 'entity_id'),
    entityType: str(t, 'entity_type'),
    rate: num(t, 'rate'),
    isInWork: bool(t, 'is_in_work'),
    isRead: bool(t, 'is_read'),
    origin: str(t, 'origin'),
    createdAt: num(t, 'created_at'),
    updatedAt: num(t, 'updated_at'),
  });
}
