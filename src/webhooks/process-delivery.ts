// Stored deliveries → parsed events → deduped → applied, inside the caller's transaction.
// A delivery usually carries several items about one lead at one moment (update + status + responsible, same
// updated_at): their keys are claimed together and they are applied as ONE merged observation.
import { dedupeKey, parseWebhook, WebhookParseError, type ContactEvent, type LeadEvent, type WebhookEvent } from '../amocrm/webhooks/index.js';
import type { WebhookDeliveryRow } from '../db/index.js';
import { applyContact } from './apply-contact.js';
import { applyDeal, type ApplyContext } from './apply-deal.js';
import { ApplyState } from './apply-state.js';
import { claimEventKeysOf, finishDelivery, finishProcessed, processedBodyHashes } from './inbox.js';
import { observeContactEvent, observeLeadEvent } from './observations.js';
import { toUnix, type Tx } from './tx.js';
import type { ContactObservation, DealObservation } from './types.js';

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

interface Parsed {
  d: WebhookDeliveryRow;
  events: WebhookEvent[];
  candidates: { e: Applicable; key: string }[];
}

/**
 * Processes claimed deliveries in order, as one batch: identical bodies (already processed, or earlier in this
 * batch) → duplicate; the dedupe keys of all of them claimed in one statement; the deals and contacts they name
 * read once (ApplyState) and every observation applied in order in memory; then the writes, a few statements for
 * the whole batch.
 */
export async function processDeliveries(tx: Tx, list: WebhookDeliveryRow[], ctx: ApplyContext): Promise<DeliveryOutcome[]> {
  const seen = await processedBodyHashes(tx, ctx.account, list.map((d) => d.bodyHash));
  const outcomes = new Map<number, DeliveryOutcome>();
  const parsed: Parsed[] = [];
  for (const d of list) {
    if (seen.has(d.bodyHash)) {
      await finishDelivery(tx, d.id, { status: 'duplicate', appliedCount: 0 });
      outcomes.set(d.id, { status: 'duplicate', events: d.eventCount ?? 0, applied: 0 });
      continue;
    }
    try {
      const events = parseWebhook(d.body, d.contentType ?? undefined).events;
      parsed.push({ d, events, candidates: events.filter(applicable).map((e) => ({ e, key: dedupeKey(e) })) });
      seen.add(d.bodyHash);
    } catch (err) {
      const code = err instanceof WebhookParseError ? err.code : 'MALFORMED';
      await finishDelivery(tx, d.id, { status: 'malformed', errorCode: code, error: err instanceof Error ? err.message : String(err) });
      outcomes.set(d.id, { status: 'malformed', events: 0, applied: 0 });
    }
  }

  // A key met twice belongs to its first delivery (as if the deliveries were applied one after another).
  const owner = new Map<string, number>();
  for (const p of parsed) for (const c of p.candidates) if (!owner.has(c.key)) owner.set(c.key, p.d.id);
  const fresh = await claimEventKeysOf(tx, ctx.account, owner);
  const plans = parsed.map((p) => {
    const receivedAt = toUnix(p.d.receivedAt);
    const todo = p.candidates.filter((c) => fresh.has(c.key) && owner.get(c.key) === p.d.id && owner.delete(c.key));
    return { p, observations: todo.map(({ e }) => (e.entity === 'lead' ? observeLeadEvent(e, receivedAt) : observeContactEvent(e, receivedAt))) };
  });
  const dealIds: number[] = [];
  const contactIds: number[] = [];
  for (const o of plans.flatMap((x) => x.observations)) {
    if (isDeal(o)) dealIds.push(o.amoLeadId);
    else contactIds.push(o.amoContactId);
  }
  const state = await ApplyState.load(tx, ctx.account, dealIds, contactIds);

  const processed: { id: number; eventCount: number; appliedCount: number }[] = [];
  for (const { p, observations } of plans) {
    const applied = applyInOrder(state, observations, ctx);
    processed.push({ id: p.d.id, eventCount: p.events.length, appliedCount: applied });
    outcomes.set(p.d.id, { status: 'processed', events: p.events.length, applied });
  }
  await state.flush(tx);
  await finishProcessed(tx, processed);
  return list.map((d) => outcomes.get(d.id) as DeliveryOutcome);
}

const isDeal = (o: DealObservation | ContactObservation): o is DealObservation => 'amoLeadId' in o;

/** One delivery's observations: runs of deal items merged (mergeObservations), contacts between them. */
function applyInOrder(state: ApplyState, observations: (DealObservation | ContactObservation)[], ctx: ApplyContext): number {
  let applied = 0;
  const deals: DealObservation[] = [];
  const flushDeals = (): void => {
    for (const o of mergeObservations(deals.splice(0))) if (applyDeal(state, o, ctx).changed) applied++;
  };
  for (const o of observations) {
    if (isDeal(o)) {
      deals.push(o);
      continue;
    }
    flushDeals();
    if (applyContact(state, o)) applied++;
  }
  flushDeals();
  return applied;
}
