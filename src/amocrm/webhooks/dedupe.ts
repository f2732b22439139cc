// A stable key per event for dropping repeated deliveries (amoCRM retries resend the same body and carry no
// delivery id, fact sheet §8.9). Key = entity:id:action:stamp, where stamp is updated_at / last_modified / the
// item's date. Items that carry no timestamp (deletes, Digital Pipeline status hooks, unsorted) use a hash of the
// item instead, so two different moves of one lead never collapse into one key.

import { createHash } from 'node:crypto';
import type { WebhookEvent } from './events.js';
import type { RawValue } from './tree.js';

export function dedupeKey(event: WebhookEvent): string {
  const [entity, id, stamp] = identity(event);
  const tail = stamp !== undefined ? String(stamp) : `#${hashRaw(event.raw)}`;
  return [entity, id ?? '', event.action, tail].map(escapePart).join(':');
}

type Identity = [entity: string, id: string | number | undefined, stamp: string | number | undefined];

function identity(e: WebhookEvent): Identity {
  switch (e.entity) {
    case 'lead': {
      const stamp = e.data.updatedAt ?? e.data.lastModified;
      // Two stage moves within one second share updated_at; the target stage tells them apart.
      const withStatus = stamp !== undefined && e.action === 'status' ? `${stamp}/${e.data.statusId ?? ''}` : stamp;
      return ['lead', e.data.id, withStatus];
    }
    case 'contact':
    case 'company':
    case 'customer':
    case 'catalog_element':
      return [e.entity, e.data.id, e.data.updatedAt ?? ('lastModified' in e.data ? e.data.lastModified : undefined)];
    case 'task':
      return ['task', e.data.id, e.data.updatedAt ?? e.data.lastModified];
    case 'note':
      return ['note', e.data.id, e.data.updatedAt ?? e.data.timestampX ?? e.data.createdAt ?? e.data.dateCreate];
    case 'unsorted':
      return ['unsorted', e.data.uid, undefined];
    case 'message':
      return ['message', e.data.id, e.data.createdAt];
    case 'talk':
      return ['talk', e.data.talkId, e.data.updatedAt ?? e.data.createdAt];
    case 'unknown':
      return [`unknown/${e.key}`, undefined, undefined];
  }
}

function escapePart(p: string | number): string {
  return String(p).replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

function hashRaw(raw: RawValue): string {
  return createHash('sha1').update(JSON.stringify(raw)).digest('hex').slice(0, 16);
}
