// Routing's database side: decide a batch of leads in ONE transaction that locks the rotation rows of the pools
// involved (`select … for update`, in pool order), reads today's counts, runs the pure core and writes the
// decisions, the new rotation state, the counts and the contact owners — so two processes on one PostgreSQL
// serve one rotation (no double or skipped turns) and a retried lead reuses its first decision.
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { routingContactOwners, routingDailyCounts, routingDecisions, routingRotations, type Database, type RoutingDecisionRow, rowsOf } from '../db/index.js';
import { decide, type DecideEnv } from './decide.js';
import { localTime } from './clock.js';
import { firstMatchingRule } from './match.js';
import type { Decision, LeadFacts, ResolvedManager, RotationState, RoutingConfig } from './types.js';
import type { Tx } from '../db/index.js';

export interface RouteItem {
  leadId: string;
  facts: LeadFacts;
  ownerUserId: number | null;
  /** Hashes of the lead's contact keys (phone, email): the chosen manager becomes their owner. */
  contactHashes: string[];
}

export interface DecideBatch {
  account: string;
  config: RoutingConfig;
  managers: Map<string, ResolvedManager>;
  loads: Map<number, number>;
  now: Date;
  items: RouteItem[];
}

export type { Tx };

export function contactHashes(lead: { phone: string | null; email: string | null }): string[] {
  const keys: string[] = [];
  if (lead.phone) keys.push(`phone:${lead.phone}`);
  if (lead.email) keys.push(`email:${lead.email.trim().toLowerCase()}`);
  return keys.map((k) => createHash('sha256').update(k).digest('hex'));
}

/** The most recent manager of any of these contact keys, from earlier decisions. */
export async function localOwners(db: Tx, account: string, hashes: string[]): Promise<Map<string, number>> {
  if (hashes.length === 0) return new Map();
  const rows = await db
    .select()
    .from(routingContactOwners)
    .where(and(eq(routingContactOwners.account, account), inArray(routingContactOwners.keyHash, hashes)))
    .orderBy(asc(routingContactOwners.updatedAt));
  return new Map(rows.map((r) => [r.keyHash, r.userId]));
}

export async function existingDecisions(db: Tx, leadIds: string[]): Promise<Map<string, RoutingDecisionRow>> {
  if (leadIds.length === 0) return new Map();
  const rows = await db.select().from(routingDecisions).where(inArray(routingDecisions.leadId, leadIds));
  return new Map(rows.map((r) => [r.leadId, r]));
}

/** Locks (creating when new) the rotation rows of these pools, in key order; returns their state. */
export async function lockRotations(tx: Tx, account: string, keys: string[]): Promise<Map<string, RotationState>> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return new Map();
  await tx.insert(routingRotations).values(sorted.map((poolKey) => ({ account, poolKey }))).onConflictDoNothing();
  const rows = await tx.execute(sql`
    select pool_key, state from routing_rotations
    where account = ${account} and pool_key in (${sql.join(sorted.map((k) => sql`${k}`), sql`, `)})
    order by pool_key for update`);
  return new Map(rowsOf<{ pool_key: string; state: RotationState }>(rows).map((r) => [r.pool_key, r.state ?? {}]));
}

export async function saveRotations(tx: Tx, account: string, before: Map<string, RotationState>, after: Map<string, RotationState>, now: Date): Promise<void> {
  for (const [poolKey, state] of after) {
    if (JSON.stringify(before.get(poolKey) ?? {}) === JSON.stringify(state)) continue;
    await tx.update(routingRotations).set({ state, updatedAt: now }).where(and(eq(routingRotations.account, account), eq(routingRotations.poolKey, poolKey)));
  }
}

/** Today's counts (each manager's local date) for the managers of this config. */
export async function loadCounts(tx: Tx, account: string, managers: Iterable<ResolvedManager>, now: Date): Promise<Map<string, number>> {
  const ms = [...managers].filter((m) => m.userId !== null);
  if (ms.length === 0) return new Map();
  const days = [...new Set(ms.map((m) => localTime(now, m.timezone).date))];
  const rows = await tx
    .select()
    .from(routingDailyCounts)
    .where(and(eq(routingDailyCounts.account, account), inArray(routingDailyCounts.userId, ms.map((m) => m.userId as number)), inArray(routingDailyCounts.day, days)));
  return new Map(rows.map((r) => [`${r.userId}:${r.day}`, r.count]));
}

export async function saveCounts(tx: Tx, account: string, before: Map<string, number>, after: Map<string, number>): Promise<void> {
  const deltas = [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, d]) => d > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (deltas.length === 0) return;
  await tx
    .insert(routingDailyCounts)
    .values(deltas.map(([k, d]) => ({ account, userId: Number(k.split(':')[0]), day: k.split(':')[1] as string, count: d })))
    .onConflictDoUpdate({
      target: [routingDailyCounts.account, routingDailyCounts.userId, routingDailyCounts.day],
      set: { count: sql`${routingDailyCounts.count} + excluded.count` },
    });
}

export async function saveOwners(tx: Tx, account: string, owners: Map<string, number>, now: Date): Promise<void> {
  const rows = [...owners].sort(([a], [b]) => (a < b ? -1 : 1)).map(([keyHash, userId]) => ({ account, keyHash, userId, updatedAt: now }));
  if (rows.length === 0) return;
  await tx
    .insert(routingContactOwners)
    .values(rows)
    .onConflictDoUpdate({ target: [routingContactOwners.account, routingContactOwners.keyHash], set: { userId: sql`excluded.user_id`, updatedAt: now } });
}

const decisionValues = (account: string, leadId: string, d: Decision, now: Date) => ({
  account,
  leadId,
  rule: d.rule,
  strategy: d.strategy,
  outcome: d.outcome,
  userId: d.userId,
  manager: d.manager,
  managerName: d.managerName,
  reason: d.reason,
  skipped: d.skipped,
  fallback: d.fallback,
  poolKey: d.poolKey,
  takeUpDueAt: d.takeUpMinutes !== null ? new Date(now.getTime() + d.takeUpMinutes * 60_000) : null,
  takeUpState: d.takeUpMinutes !== null ? 'pending' : null,
  decidedAt: now,
  updatedAt: now,
});

/**
 * Decides every lead of the batch that has no decision yet (a retried lead keeps its first one) and records it.
 * Returns the decision row per lead id.
 */
export async function decideBatch(db: Database, b: DecideBatch): Promise<Map<string, RoutingDecisionRow>> {
  return db.transaction(async (tx) => {
    const out = await existingDecisions(tx, b.items.map((i) => i.leadId));
    const todo = b.items.filter((i) => !out.has(i.leadId));
    if (todo.length === 0) return out;
    const poolKeys = todo.flatMap((i) => {
      const rule = firstMatchingRule(b.config.rules, i.facts, b.now);
      if (!rule) return [];
      return rule.fallback?.kind === 'pool' ? [rule.poolKey, rule.fallback.poolKey] : [rule.poolKey];
    });
    const rotations = await lockRotations(tx, b.account, poolKeys);
    const before = new Map(rotations);
    const counts = await loadCounts(tx, b.account, b.managers.values(), b.now);
    const countsBefore = new Map(counts);
    const env: DecideEnv = { config: b.config, managers: b.managers, now: b.now, counts, loads: b.loads, rotations };
    const owners = new Map<string, number>();
    const values = todo.map((i) => {
      const d = decide(env, { facts: i.facts, ownerUserId: i.ownerUserId });
      if (d.userId !== null) for (const h of i.contactHashes) owners.set(h, d.userId);
      return decisionValues(b.account, i.leadId, d, b.now);
    });
    const inserted = await tx.insert(routingDecisions).values(values).onConflictDoNothing().returning();
    await saveRotations(tx, b.account, before, rotations, b.now);
    await saveCounts(tx, b.account, countsBefore, counts);
    await saveOwners(tx, b.account, owners, b.now);
    for (const r of inserted) out.set(r.leadId, r);
    return out;
  });
}


