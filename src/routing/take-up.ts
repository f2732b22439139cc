// The take-up deadline: a deal still in its first stage N minutes after assignment goes to the next available
// manager of the rule's pool — PATCH the deal's responsible_user_id, a task for the new manager, the reason
// recorded. One reassignment per deadline (the new manager gets no new deadline). Driven by a pg-boss cron job;
// the stage comes from the synced deal (webhooks' read function). The turn is taken in the same transaction as the
// record of the target; the amoCRM calls follow, and a crash between them is retried with the same target.
import { and, asc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import type { AmoClient } from '../amocrm/index.js';
import { routingDecisions, type Database, type RoutingDecisionRow, type RoutingReassignment } from '../db/index.js';
import { decide, type DecideEnv } from './decide.js';
import { loadCounts, lockRotations, saveCounts, saveRotations } from './store.js';
import type { ResolvedManager, RoutingConfig } from './types.js';

export interface SyncedDealLike {
  amoLeadId: number;
  responsibleUserId: number | null;
  closed: boolean;
  deleted: boolean;
  stagesSeen: number;
}

export interface TakeUpDeps {
  db: Database;
  amo: AmoClient;
  account: string;
  config: RoutingConfig;
  now: () => number;
  managers: () => Promise<Map<string, ResolvedManager>>;
  syncedDeal: (leadId: string) => Promise<SyncedDealLike | null>;
  onReassigned?: (rule: string) => void;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export interface TakeUpResult {
  checked: number;
  reassigned: number;
  taken: number;
  waiting: number;
}

const STALE_MS = 5 * 60_000;
/** A deal that has not synced after this long is no longer watched. */
const GIVE_UP_MS = 24 * 3600_000;

async function claimDue(db: Database, now: Date, limit: number): Promise<RoutingDecisionRow[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: routingDecisions.id })
      .from(routingDecisions)
      .where(
        or(
          and(eq(routingDecisions.takeUpState, 'pending'), lte(routingDecisions.takeUpDueAt, now)),
          and(eq(routingDecisions.takeUpState, 'checking'), lte(routingDecisions.takeUpCheckedAt, new Date(now.getTime() - STALE_MS))),
        ),
      )
      .orderBy(asc(routingDecisions.takeUpDueAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(routingDecisions)
      .set({ takeUpState: 'checking', takeUpCheckedAt: now, updatedAt: now })
      .where(inArray(routingDecisions.id, due.map((d) => d.id)))
      .returning();
  });
}

async function settle(db: Database, id: number, state: string, now: Date, extra: Partial<RoutingDecisionRow> = {}): Promise<void> {
  await db.update(routingDecisions).set({ takeUpState: state, updatedAt: now, ...extra }).where(eq(routingDecisions.id, id));
}

/** Takes the next turn in the rule's pool (never the current manager) and records the target. */
async function chooseTarget(deps: TakeUpDeps, row: RoutingDecisionRow, managers: Map<string, ResolvedManager>, now: Date, reason: string): Promise<RoutingReassignment | null> {
  const rule = deps.config.rules.find((r) => r.name === row.rule);
  if (!rule) return null;
  return deps.db.transaction(async (tx) => {
    const keys = [rule.poolKey, ...(rule.fallback?.kind === 'pool' ? [rule.fallback.poolKey] : [])];
    const rotations = await lockRotations(tx, deps.account, keys);
    const before = new Map(rotations);
    const counts = await loadCounts(tx, deps.account, managers.values(), now);
    const countsBefore = new Map(counts);
    const env: DecideEnv = { config: deps.config, managers, now, counts, loads: new Map(), rotations };
    const d = decide(env, { facts: { form: '', utm: {}, referrerHost: null, landingHost: null, phoneCountry: null, fields: {} }, rule, exclude: row.userId !== null ? [row.userId] : [] });
    const entry: RoutingReassignment = { at: now.toISOString(), from: row.userId, to: d.userId, manager: d.managerName, reason, skipped: d.skipped, task_id: null };
    await saveRotations(tx, deps.account, before, rotations, now);
    await saveCounts(tx, deps.account, countsBefore, counts);
    await tx
      .update(routingDecisions)
      .set({ reassignments: sql`${routingDecisions.reassignments} || ${JSON.stringify([entry])}::jsonb`, updatedAt: now })
      .where(eq(routingDecisions.id, row.id));
    return entry;
  });
}

export async function takeUpOnce(deps: TakeUpDeps, limit = 20): Promise<TakeUpResult> {
  const now = new Date(deps.now());
  const rows = await claimDue(deps.db, now, limit);
  const out: TakeUpResult = { checked: rows.length, reassigned: 0, taken: 0, waiting: 0 };
  if (rows.length === 0) return out;
  const managers = await deps.managers();
  for (const row of rows) {
    try {
      const deal = await deps.syncedDeal(row.leadId);
      if (!deal) {
        // Not synced yet (the webhook or reconciliation has not reported it): look again in a minute.
        const gone = now.getTime() - (row.takeUpDueAt?.getTime() ?? now.getTime()) > GIVE_UP_MS;
        await settle(deps.db, row.id, gone ? 'gone' : 'pending', now, gone ? {} : { takeUpDueAt: new Date(now.getTime() + 60_000) });
        out.waiting++;
        continue;
      }
      if (deal.deleted || deal.closed || deal.stagesSeen > 1) {
        await settle(deps.db, row.id, 'taken', now);
        out.taken++;
        continue;
      }
      const pendingTarget = row.reassignments.at(-1);
      if (deal.responsibleUserId !== row.userId && !(pendingTarget && pendingTarget.task_id === null && pendingTarget.to === deal.responsibleUserId)) {
        // Someone changed the manager by hand: that is their decision.
        await settle(deps.db, row.id, 'kept', now);
        continue;
      }
      const minutes = Math.round(((row.takeUpDueAt?.getTime() ?? now.getTime()) - row.decidedAt.getTime()) / 60_000);
      const reason = `still in its first stage ${minutes} min after assignment`;
      const target = pendingTarget && pendingTarget.task_id === null ? pendingTarget : await chooseTarget(deps, row, managers, now, reason);
      if (!target || target.to === null) {
        await settle(deps.db, row.id, 'kept', now);
        deps.log?.info({ lead: row.leadId, rule: row.rule }, 'take-up deadline passed; nobody else available, the manager stays');
        continue;
      }
      await deps.amo.leads.update([{ id: deal.amoLeadId, responsible_user_id: target.to }]);
      const text = deps.config.takeUpTask.text.replaceAll('{{minutes}}', String(minutes));
      const [task] = await deps.amo.tasks.create([
        {
          text,
          complete_till: Math.floor(now.getTime() / 1000) + deps.config.takeUpTask.dueMinutes * 60,
          entity_id: deal.amoLeadId,
          entity_type: 'leads',
          responsible_user_id: target.to,
          task_type_id: 1,
          request_id: `take-up-${row.id}`,
        },
      ]);
      const entries = [...row.reassignments.filter((e) => e.task_id !== null), { ...target, task_id: task?.id ?? 0 }];
      await settle(deps.db, row.id, 'reassigned', now, { userId: target.to, managerName: target.manager, reassignments: entries });
      deps.onReassigned?.(row.rule ?? '');
      deps.log?.info({ lead: row.leadId, rule: row.rule, from: row.userId, to: target.to }, 'take-up deadline passed: reassigned');
      out.reassigned++;
    } catch (err) {
      // amoCRM failed: the row stays `checking` and is picked up again after STALE_MS with the same target.
      deps.log?.warn({ lead: row.leadId, err: err instanceof Error ? err.message : String(err) }, 'take-up check failed; retried later');
    }
  }
  return out;
}
