// The decision core: rule → sticky owner → availability filter → strategy → fallback. Pure: every input (managers
// as amoCRM reported them, today's counts, open-deal loads, rotation state, the time) is passed in, and the
// rotation / count / load changes are written back into the maps it was given, so the caller persists them in
// the same transaction as the decision.
import { inHours, isAbsent, localTime } from './clock.js';
import { firstMatchingRule } from './match.js';
import type { Decision, Fallback, LeadFacts, ResolvedManager, RotationState, RoutingConfig, RuleSpec, SkipReason, Skipped, Strategy } from './types.js';

export interface DecideEnv {
  config: RoutingConfig;
  /** Every configured manager (by key) with its amoCRM id and status. */
  managers: Map<string, ResolvedManager>;
  now: Date;
  /** Assignments per `${userId}:${localDate}` (the manager's time zone). The chosen one is incremented. */
  counts: Map<string, number>;
  /** Open deals per user id (least loaded). The chosen one is incremented. */
  loads: Map<number, number>;
  /** Rotation state per pool key. Updated for the pool that picked. */
  rotations: Map<string, RotationState>;
}

export interface DecideInput {
  facts: LeadFacts;
  /** amoCRM user responsible for the returning contact (sticky), if known. */
  ownerUserId?: number | null;
  /** Route by this rule instead of matching (take-up reassignment), never to these users. */
  rule?: RuleSpec;
  exclude?: number[];
}

export const countKey = (m: ResolvedManager, now: Date): string => `${m.userId}:${localTime(now, m.timezone).date}`;

export function unavailability(m: ResolvedManager, env: DecideEnv, opts: { ignoreHours?: boolean; onlyPresence?: boolean } = {}): SkipReason | null {
  if (m.userId === null || m.status === 'unknown') return 'unknown_user';
  if (m.status === 'inactive' || m.status === 'free') return 'inactive';
  if (isAbsent(env.now, m.timezone, m.absences)) return 'absent';
  if (opts.onlyPresence) return null;
  if (!opts.ignoreHours && !inHours(env.now, m.timezone, m.hours)) return 'outside_hours';
  if (m.dailyCap !== null && (env.counts.get(countKey(m, env.now)) ?? 0) >= m.dailyCap) return 'at_cap';
  return null;
}

const skip = (m: ResolvedManager, reason: SkipReason, as: Skipped['as']): Skipped => ({ manager: m.key, user_id: m.userId, name: m.name, reason, as });

interface Pick {
  chosen: ResolvedManager | undefined;
  skipped: Skipped[];
}

/** Picks from `pool` (manager keys, in order) with `strategy`, updating rotation state `poolKey`. */
function pickFrom(env: DecideEnv, pool: string[], poolKey: string, strategy: Strategy, exclude: number[], as: Skipped['as']): Pick {
  const members = pool.map((k) => env.managers.get(k)).filter((m): m is ResolvedManager => m !== undefined);
  const skipped: Skipped[] = [];
  const ok: boolean[] = members.map((m) => {
    if (m.userId !== null && exclude.includes(m.userId)) {
      skipped.push(skip(m, 'current_manager', as));
      return false;
    }
    const why = unavailability(m, env);
    if (why) skipped.push(skip(m, why, as));
    return why === null;
  });
  if (!ok.some(Boolean)) return { chosen: undefined, skipped };
  const state = { ...(env.rotations.get(poolKey) ?? {}) };
  const n = members.length;
  const start = ((state.next ?? 0) % n + n) % n;
  // Round-robin order from the stored position: the first available after the last one served.
  const order = Array.from({ length: n }, (_, i) => (start + i) % n).filter((i) => ok[i]);
  let idx: number;
  if (strategy === 'weighted_round_robin') {
    // Smooth weighted round-robin (nginx): every available member gains its weight, the highest score serves
    // and gives back the total. Weights 2:1:1 over 4 leads → A B A C; over 400 → exactly 200/100/100.
    const scores = { ...(state.scores ?? {}) };
    let total = 0;
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (!ok[i]) continue;
      const m = members[i] as ResolvedManager;
      const id = String(m.userId);
      scores[id] = (scores[id] ?? 0) + m.weight;
      total += m.weight;
      if (best < 0 || (scores[id] as number) > (scores[String(members[best]?.userId)] as number)) best = i;
    }
    idx = best;
    const id = String(members[idx]?.userId);
    scores[id] = (scores[id] as number) - total;
    state.scores = scores;
  } else if (strategy === 'least_loaded') {
    idx = order.reduce((a, b) => ((env.loads.get(members[b]?.userId as number) ?? 0) < (env.loads.get(members[a]?.userId as number) ?? 0) ? b : a));
    state.next = idx + 1;
  } else {
    idx = order[0] as number;
    state.next = idx + 1;
  }
  env.rotations.set(poolKey, state);
  return { chosen: members[idx], skipped };
}

const STEP = 5 * 60_000;
/** "The next one who comes on shift": the pool member (present, active) whose next working time comes first. */
function nextOnShift(env: DecideEnv, pool: string[], exclude: number[]): { m: ResolvedManager; at: Date } | undefined {
  let best: { m: ResolvedManager; at: Date } | undefined;
  for (const key of pool) {
    const m = env.managers.get(key);
    if (!m || m.userId === null || exclude.includes(m.userId) || unavailability(m, env, { onlyPresence: true }) === 'unknown_user') continue;
    if (m.status === 'inactive' || m.status === 'free') continue;
    const today = localTime(env.now, m.timezone).date;
    const capped = m.dailyCap !== null && (env.counts.get(countKey(m, env.now)) ?? 0) >= m.dailyCap;
    for (let t = env.now.getTime(); t <= env.now.getTime() + 15 * 24 * 3600_000; t += STEP) {
      const at = new Date(t);
      if (best && at >= best.at) break;
      if (!inHours(at, m.timezone, m.hours) || isAbsent(at, m.timezone, m.absences)) continue;
      if (capped && localTime(at, m.timezone).date === today) continue;
      best = { m, at };
      break;
    }
  }
  return best;
}

const STRATEGY_TEXT: Record<Strategy, string> = {
  round_robin: 'round-robin',
  weighted_round_robin: 'weighted round-robin',
  least_loaded: 'least loaded',
  fixed: 'fixed manager',
};

function assign(env: DecideEnv, m: ResolvedManager): void {
  const k = countKey(m, env.now);
  env.counts.set(k, (env.counts.get(k) ?? 0) + 1);
  if (m.userId !== null) env.loads.set(m.userId, (env.loads.get(m.userId) ?? 0) + 1);
}

export function decide(env: DecideEnv, input: DecideInput): Decision {
  const rule = input.rule ?? firstMatchingRule(env.config.rules, input.facts, env.now);
  const exclude = input.exclude ?? [];
  const base = { skipped: [] as Skipped[], fallback: null, poolKey: null, takeUpMinutes: null };
  if (!rule) return { ...base, rule: null, strategy: null, outcome: 'unassigned', userId: null, manager: null, managerName: null, reason: 'no rule matched' };
  const result = (m: ResolvedManager | undefined, outcome: Decision['outcome'], reason: string, skipped: Skipped[], fallback: Fallback['kind'] | null = null): Decision => {
    if (m) assign(env, m);
    return {
      rule: rule.name,
      strategy: rule.strategy,
      outcome: m ? outcome : 'unassigned',
      userId: m?.userId ?? null,
      manager: m?.key ?? null,
      managerName: m?.name ?? null,
      reason,
      skipped,
      fallback,
      poolKey: rule.poolKey,
      takeUpMinutes: m ? rule.takeUpMinutes : null,
    };
  };
  const skipped: Skipped[] = [];

  // 1. Sticky: the returning contact's manager, if it is one of ours and available.
  if (rule.sticky && !input.rule && input.ownerUserId != null) {
    const owner = [...env.managers.values()].find((m) => m.userId === input.ownerUserId);
    if (!owner) skipped.push({ manager: `user:${input.ownerUserId}`, user_id: input.ownerUserId, name: null, reason: 'not_a_manager', as: 'sticky' });
    else {
      const why = unavailability(owner, env, { ignoreHours: rule.stickyIgnoresHours });
      if (why === null) return result(owner, 'sticky', 'returning contact: their manager', skipped);
      skipped.push(skip(owner, why, 'sticky'));
    }
  }

  // 2. The rule's pool with its strategy.
  const pool = rule.strategy === 'fixed' && rule.fixed ? [rule.fixed] : rule.pool;
  const picked = pickFrom(env, pool, rule.poolKey, rule.strategy, exclude, 'pool');
  skipped.push(...picked.skipped);
  if (picked.chosen) return result(picked.chosen, 'assigned', `${STRATEGY_TEXT[rule.strategy]} in ${rule.poolKey}`, skipped);

  // 3. Nobody available: the fallback decides.
  const fb = rule.fallback;
  if (!fb) return result(undefined, 'unassigned', 'nobody in the pool is available and the rule has no fallback', skipped);
  if (fb.kind === 'pool') {
    const p = pickFrom(env, fb.pool, fb.poolKey, fb.strategy, exclude, 'fallback');
    skipped.push(...p.skipped);
    return result(p.chosen, 'fallback', p.chosen ? `fallback: ${STRATEGY_TEXT[fb.strategy]} in ${fb.poolKey}` : 'fallback pool: nobody available either', skipped, 'pool');
  }
  if (fb.kind === 'user') {
    const m = env.managers.get(fb.manager);
    // The duty manager takes leads at any hour and over any cap; only absence or an inactive user stops it.
    const why = m ? unavailability(m, env, { onlyPresence: true }) : 'unknown_user';
    if (m && why === null && !(m.userId !== null && exclude.includes(m.userId))) return result(m, 'fallback', 'fallback: the duty manager', skipped, 'user');
    if (m) skipped.push(skip(m, why ?? 'current_manager', 'fallback'));
    return result(undefined, 'unassigned', 'fallback: the duty manager is not available either', skipped, 'user');
  }
  const next = nextOnShift(env, pool, exclude);
  if (!next) return result(undefined, 'unassigned', 'fallback: nobody in the pool comes on shift in the next 15 days', skipped, 'next_on_shift');
  return result(next.m, 'fallback', `fallback: next on shift (${next.at.toISOString()})`, skipped, 'next_on_shift');
}
