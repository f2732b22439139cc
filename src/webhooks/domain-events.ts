// The domain_events outbox: written in the caller's transaction, so a consumer sees an event iff the state
// change that caused it committed. Consumers read by id (or `processed_at is null`) and mark them processed.
import { and, asc, eq, gt, inArray, isNull } from 'drizzle-orm';
import { domainEvents, type DomainEventRow } from '../db/index.js';
import { toDate, type Tx } from './tx.js';
import type { DomainEventType } from './types.js';

export interface NewDomainEvent {
  type: DomainEventType;
  amoLeadId?: number;
  leadId?: string | null;
  payload: Record<string, unknown>;
  /** amoCRM time (unix seconds) of the change. */
  at: number;
}

/** Inserts the events of one amoCRM account (`account`, the connection key). */
export async function insertDomainEvents(tx: Tx, account: string, events: NewDomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(domainEvents).values(
    events.map((e) => ({
      account,
      type: e.type,
      amoLeadId: e.amoLeadId ?? null,
      leadId: e.leadId ?? null,
      payload: e.payload,
      occurredAt: toDate(e.at),
    })),
  );
}

/** Events after `afterId` (optionally of some types), oldest first. */
export async function listDomainEvents(
  tx: Tx,
  opts: { afterId?: number; types?: DomainEventType[]; unprocessedOnly?: boolean; limit?: number } = {},
): Promise<DomainEventRow[]> {
  const conds = [gt(domainEvents.id, opts.afterId ?? 0)];
  if (opts.types?.length) conds.push(inArray(domainEvents.type, opts.types));
  if (opts.unprocessedOnly) conds.push(isNull(domainEvents.processedAt));
  return tx
    .select()
    .from(domainEvents)
    .where(and(...conds))
    .orderBy(asc(domainEvents.id))
    .limit(opts.limit ?? 500);
}

export async function markDomainEventProcessed(tx: Tx, id: number, at: Date = new Date()): Promise<void> {
  await tx.update(domainEvents).set({ processedAt: at }).where(eq(domainEvents.id, id));
}
