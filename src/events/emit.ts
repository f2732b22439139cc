// Writers emit inside their own transaction (or statement): an event exists if and only if the change that
// caused it committed. The row's tx_id defaults to the writer's pg_current_xact_id().
import { domainEvents } from '../db/index.js';
import type { NewEvent } from './types.js';
import type { Tx } from '../db/index.js';

export async function emit(tx: Tx, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(domainEvents).values(
    events.map((e) => ({
      account: e.account ?? 'default',
      type: e.type,
      payload: e.payload as Record<string, unknown>,
      leadId: e.leadId ?? null,
      amoLeadId: e.amoLeadId ?? null,
      occurredAt: e.occurredAt ?? new Date(),
    })),
  );
}
