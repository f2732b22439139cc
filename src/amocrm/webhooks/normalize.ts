// Tree → events: one event per item of every action of every entity key, in body order (fact sheet §8.2).
// Unknown keys, unknown actions and items without an id become `entity: 'unknown'` events instead of vanishing.

import type { UnknownEvent, WebhookAccount, WebhookEvent } from './events.js';
import { toCatalogElement, toContact, toCustomer, toLead } from './normalize-crm.js';
import { toMessage, toNote, toTalk, toTask, toUnsorted, unsortedAction } from './normalize-misc.js';
import { child, isIndexKey, isTree, num, str, toRaw, toRawObject } from './tree.js';
import type { Tree } from './tree.js';

type ItemHandler = (action: string, index: number, item: Tree) => WebhookEvent;

const LEAD_ACTIONS = ['add', 'update', 'delete', 'restore', 'status', 'responsible'] as const;
const CONTACT_ACTIONS = ['add', 'update', 'delete', 'restore', 'responsible'] as const;
const TASK_ACTIONS = ['add', 'update', 'delete', 'responsible'] as const;
const UNSORTED_ACTIONS = ['add', 'update', 'delete'] as const;
const CHAT_ACTIONS = ['add', 'update'] as const;

function oneOf<T extends string>(v: string, allowed: readonly T[]): v is T {
  return (allowed as readonly string[]).includes(v);
}

function unknown(key: string, action: string, index: number, item: Tree, reason: UnknownEvent['reason']): UnknownEvent {
  return { entity: 'unknown', key, action, index, raw: toRawObject(item), reason };
}

function note(key: 'leads' | 'contacts' | 'customers', index: number, item: Tree): WebhookEvent {
  const data = toNote(item, key);
  if (!data) return unknown(key, 'note', index, item, 'missing_id');
  return { entity: 'note', key, action: 'note', index, raw: toRawObject(item), data };
}

const HANDLERS: Record<string, ItemHandler> = {
  leads(action, index, item) {
    if (action === 'note') return note('leads', index, item);
    if (!oneOf(action, LEAD_ACTIONS)) return unknown('leads', action, index, item, 'unknown_action');
    const data = toLead(item);
    if (!data) return unknown('leads', action, index, item, 'missing_id');
    return { entity: 'lead', key: 'leads', action, index, raw: toRawObject(item), data };
  },
  contacts(action, index, item) {
    if (action === 'note') return note('contacts', index, item);
    if (!oneOf(action, CONTACT_ACTIONS)) return unknown('contacts', action, index, item, 'unknown_action');
    const data = toContact(item);
    if (!data) return unknown('contacts', action, index, item, 'missing_id');
    return { entity: data.type, key: 'contacts', action, index, raw: toRawObject(item), data };
  },
  customers(action, index, item) {
    if (action === 'note') return note('customers', index, item);
    if (!oneOf(action, LEAD_ACTIONS)) return unknown('customers', action, index, item, 'unknown_action');
    const data = toCustomer(item);
    if (!data) return unknown('customers', action, index, item, 'missing_id');
    return { entity: 'customer', key: 'customers', action, index, raw: toRawObject(item), data };
  },
  task(action, index, item) {
    if (!oneOf(action, TASK_ACTIONS)) return unknown('task', action, index, item, 'unknown_action');
    const data = toTask(item);
    if (!data) return unknown('task', action, index, item, 'missing_id');
    return { entity: 'task', key: 'task', action, index, raw: toRawObject(item), data };
  },
  unsorted(action, index, item) {
    if (!oneOf(action, UNSORTED_ACTIONS)) return unknown('unsorted', action, index, item, 'unknown_action');
    const data = toUnsorted(item);
    if (!data) return unknown('unsorted', action, index, item, 'missing_id');
    const event: WebhookEvent = { entity: 'unsorted', key: 'unsorted', action, index, raw: toRawObject(item), data };
    const decided = action === 'delete' ? unsortedAction(item) : undefined;
    if (decided) event.unsortedAction = decided;
    return event;
  },
  message(action, index, item) {
    if (!oneOf(action, CHAT_ACTIONS)) return unknown('message', action, index, item, 'unknown_action');
    const data = toMessage(item);
    if (!data) return unknown('message', action, index, item, 'missing_id');
    return { entity: 'message', key: 'message', action, index, raw: toRawObject(item), data };
  },
  talk(action, index, item) {
    if (!oneOf(action, CHAT_ACTIONS)) return unknown('talk', action, index, item, 'unknown_action');
    const data = toTalk(item);
    if (!data) return unknown('talk', action, index, item, 'missing_id');
    return { entity: 'talk', key: 'talk', action, index, raw: toRawObject(item), data };
  },
  catalogs(action, index, item) {
    if (!oneOf(action, UNSORTED_ACTIONS)) return unknown('catalogs', action, index, item, 'unknown_action');
    const data = toCatalogElement(item);
    if (!data) return unknown('catalogs', action, index, item, 'missing_id');
    return { entity: 'catalog_element', key: 'catalogs', action, index, raw: toRawObject(item), data };
  },
};

export function toEvents(root: Tree): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  for (const [key, node] of root) {
    if (key === 'account') continue;
    const handler = Object.hasOwn(HANDLERS, key) ? HANDLERS[key] : undefined;
    if (!isTree(node)) {
      events.push({ entity: 'unknown', key, action: '', index: 0, raw: node, reason: 'unexpected_shape' });
      continue;
    }
    for (const [action, list] of node) {
      if (!isTree(list)) {
        const reason = handler ? 'unexpected_shape' : 'unknown_key';
        events.push({ entity: 'unknown', key, action, index: 0, raw: toRaw(list), reason });
        continue;
      }
      let ordinal = 0;
      for (const [idx, item] of list) {
        const index = isIndexKey(idx) ? Number(idx) : ordinal;
        ordinal++;
        if (!handler) {
          events.push({ entity: 'unknown', key, action, index, raw: toRaw(item), reason: 'unknown_key' });
        } else if (!isTree(item)) {
          events.push({ entity: 'unknown', key, action, index, raw: item, reason: 'unexpected_shape' });
        } else {
          events.push(handler(action, index, item));
        }
      }
    }
  }
  return events;
}

export function toAccount(root: Tree): WebhookAccount {
  const a = child(root, 'account');
  if (!a) return {};
  const out: WebhookAccount = {};
  const id = num(a, 'id');
  const subdomain = str(a, 'subdomain');
  const baseUrl = str(child(a, '_links') ?? new Map(), 'self');
  if (id !== undefined) out.id = id;
  if (subdomain !== undefined && subdomain !== '') out.subdomain = subdomain;
  if (baseUrl !== undefined && baseUrl !== '') out.baseUrl = baseUrl;
  return out;
}
