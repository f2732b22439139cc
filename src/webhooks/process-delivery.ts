// Stored deliveries → parsed events → deduped → applied, inside the caller's transaction.
// A delivery usually carries several items about one lead at one moment (update + status + responsible, same
// updated_at): their keys are claimed together and they are applied as ONE merged observation.
import { dedupeKey, parseWebhook, WebhookParseError, type ContactEvent, type LeadEvent, type WebhookEvent } from '../amocrm/webhooks/index.js';
import type { WebhookDeliveryRow } from '../db/index.js';
import { applyContactObservation } from './apply-contact.js';
import { applyDealObservation, type ApplyContext } from './apply-deal.js';
import { claimEventKeys, finishDelivery, finishProcessed, processedBodyHashes } from './inbox.js';
import { observeContactEvent, observeLeadEvent } from './observations.js';
import { toUnix, type Tx } from './tx.js';
import type { DealObservation } from './types.js';

export interface DeliveryOutcome {
  status: 'processed' | 'duplicate' | 'malformed';
  events: number;
  applied: number;
}

type Applicable = LeadEvent | ContactEvent;
const applicable = (e: WebhookEvent): e is Applicable => e.entity === 'lead' || e.entity === 'contact' || e.entity === 'company';

/** Consecutive observations of one lead at one amoCRM time become one (later items win key by key). */
export function mergeObservations(list: DealObservation[]): DealObservation[] {
  const out: DealObservation[] = [];
  for (const o of list) {
    const last = out.at(-1);
    const mergeable = (k: DealObservation['kind']) => k !== 'delete' && k !== 'restore';
    if (last && last.amoLeadId === o.amoLeadId && last.at === o.at && last.stamped && o.stamped && mergeable(last.kind) && mergeable(o.kind)) {
      out[out.length - 1] = { ...last, ...o, kind: last.kind === 'add' ? 'add' : o.kind };
    } else out.push(o);
  }
  return out;
}

/** Processes claimed deliveries in order. Identical bodies (already processed, or earlier in this batch) → duplicate. */
export async function processDeliveries(tx: Tx, list: WebhookDeliveryRow[], ctx: ApplyContext): Promise<DeliveryOutcome[]> {
  const seen = await processedBodyHashes(tx, list.map((d) => d.bodyHash));
  const out: DeliveryOutcome[] = [];
  const processed: { id: number; eventCount: number; appliedCount: number }[] = [];
  for (const d of list) {
    if (seen.has(d.bodyHash)) {
      await finishDelivery(tx, d.id, { status: 'duplicate', appliedCount: 0 });
      out.push({ status: 'duplicate', events: d.eventCount ?? 0, applied: 0 });
      continue;
    }
    const r = await processDelivery(tx, d, ctx);
    if (r.status === 'processed') {
      seen.add(d.bodyHash);
      processed.push({ id: d.id, eventCount: r.events, appliedCount: r.applied });
    }
    out.push(r);
  }
  await finishProcessed(tx, processed);
  return out;
}

/** Applies one delivery's events; the caller marks it processed (processDeliveries does, in bulk). */
export async function processDelivery(tx: Tx, d: WebhookDeliveryRow, ctx: ApplyContext): Promise<DeliveryOutcome> {
  let events: WebhookEvent[];
  try {
    events = parseWebhook(d.body, d.contentType ?? undefined).events;
  } catch (err) {
    const code = err instanceof WebhookParseError ? err.code : 'MALFORMED';
    await finishDelivery(tx, d.id, { status: 'malformed', errorCode: code, error: err instanceof Error ? err.message : String(err) });
    return { status: 'malformed', events: 0, applied: 0 };
  }
  const receivedAt = toUnix(d.receivedAt);
  const candidates = events.filter(applicable).map((e) => ({ e, key: dedupeKey(e) }));
  const fresh = await claimEventKeys(tx, ctx.account, candidates.map((c) => c.key), d.id);
  const claimed = new Set<string>();
  const todo = candidates.filter((c) => fresh.has(c.key) && !claimed.has(c.key) && claimed.add(c.key));
  let applied = 0;
  const deals: DealObservation[] = [];
  const flushDeals = async (): Promise<void> => {
    for (const o of mergeObservations(deals.splice(0))) if ((await applyDealObservation(tx, o, ctx)).changed) applied++;
  };
  for (const { e } of todo) {
    if (e.entity === 'lead') {
      deals.push(observeLeadEvent(e, receivedAt));
      continue;
    }
    await flushDeals();
    if (await applyContactObservation(tx, ctx.account, observeContactEvent(e, receivedAt))) applied++;
  }
  await flushDeals();
  return { status: 'processed', events: events.length, applied };
}
