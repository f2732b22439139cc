// The synced state of one amoCRM deal as the admin API shows it: stage (pipeline + status), manager, price,
// won/lost/deleted and the stage history with time in each stage. Read-only; intake's lead view embeds it.
import { and, eq } from 'drizzle-orm';
import { amoDeals } from '../db/index.js';
import { stageHistory } from './stage-history.js';
import type { Tx } from './tx.js';

export interface DealView {
  pipeline_id: number | null;
  status_id: number | null;
  responsible_user_id: number | null;
  price: number | null;
  is_won: boolean;
  is_lost: boolean;
  is_deleted: boolean;
  fields: Record<string, unknown>;
  /** amoCRM's time of the state held. */
  updated_at: string | null;
  stages: { pipeline_id: number; status_id: number; entered_at: string; left_at: string | null; seconds: number }[];
}

/** The deal `amoLeadId` of `account` (connection key), or null when not synced. */
export async function dealView(db: Tx, account: string, amoLeadId: number, now: number = Date.now()): Promise<DealView | null> {
  const [deal] = await db.select().from(amoDeals).where(and(eq(amoDeals.account, account), eq(amoDeals.amoLeadId, amoLeadId)));
  if (!deal) return null;
  const stays = await stageHistory(db, account, amoLeadId, now);
  return {
    pipeline_id: deal.pipelineId,
    status_id: deal.statusId,
    responsible_user_id: deal.responsibleUserId,
    price: deal.price,
    is_won: deal.isWon,
    is_lost: deal.isLost,
    is_deleted: deal.isDeleted,
    fields: deal.fields,
    updated_at: deal.amoUpdatedAt?.toISOString() ?? null,
    stages: stays.map((s) => ({
      pipeline_id: s.pipelineId,
      status_id: s.statusId,
      entered_at: s.enteredAt.toISOString(),
      left_at: s.leftAt?.toISOString() ?? null,
      seconds: s.seconds,
    })),
  };
}
