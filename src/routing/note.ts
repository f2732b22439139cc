// The routing line of the deal's note (Russian, for the managers who read it in amoCRM) and the lead view's
// `routing` object (GET /api/leads/:id).
import type { RoutingDecisionRow } from '../db/index.js';
import type { SkipReason, Skipped, Strategy } from './types.js';

const STRATEGY_RU: Record<Strategy, string> = {
  round_robin: 'по очереди',
  weighted_round_robin: 'по очереди с весами',
  least_loaded: 'наименее загруженный',
  fixed: 'закреплённый менеджер',
};
const SKIP_RU: Record<SkipReason, string> = {
  outside_hours: 'вне рабочего времени',
  absent: 'отсутствует',
  inactive: 'неактивен в amoCRM',
  at_cap: 'достигнут дневной лимит',
  unknown_user: 'не найден в amoCRM',
  current_manager: 'текущий менеджер',
  not_a_manager: 'не в списке распределения',
};
const FALLBACK_RU: Record<string, string> = { pool: 'резервная группа', user: 'дежурный менеджер', next_on_shift: 'ближайший по смене' };

/** «Назначен: Анна Смирнова по правилу «google» (по очереди). Пропущены: Борис — вне рабочего времени» */
export function routingNoteLine(d: Pick<RoutingDecisionRow, 'rule' | 'strategy' | 'outcome' | 'managerName' | 'userId' | 'fallback' | 'skipped'>): string {
  const skipped = (d.skipped as Skipped[]).filter((s) => s.reason !== 'not_a_manager');
  const tail = skipped.length > 0 ? `. Пропущены: ${skipped.map((s) => `${s.name ?? s.manager} — ${SKIP_RU[s.reason] ?? s.reason}`).join(', ')}` : '';
  if (d.rule === null) return 'Менеджер не назначен: ни одно правило распределения не подошло';
  if (d.outcome === 'unassigned' || d.userId === null) return `Менеджер не назначен по правилу «${d.rule}»: никто не доступен${tail}`;
  const how =
    d.outcome === 'sticky'
      ? 'повторное обращение — менеджер клиента'
      : d.outcome === 'fallback'
        ? `резерв: ${FALLBACK_RU[d.fallback ?? ''] ?? d.fallback}`
        : (STRATEGY_RU[d.strategy as Strategy] ?? d.strategy ?? '');
  return `Назначен: ${d.managerName ?? `#${d.userId}`} по правилу «${d.rule}» (${how})${tail}`;
}

export interface RoutingView {
  rule: string | null;
  strategy: string | null;
  outcome: string;
  user_id: number | null;
  manager: string | null;
  manager_name: string | null;
  reason: string;
  skipped: unknown[];
  fallback: string | null;
  decided_at: string;
  note: string;
  take_up: { due_at: string; state: string | null } | null;
  reassignments: unknown[];
}

export function routingView(r: RoutingDecisionRow): RoutingView {
  return {
    rule: r.rule,
    strategy: r.strategy,
    outcome: r.outcome,
    user_id: r.userId,
    manager: r.manager,
    manager_name: r.managerName,
    reason: r.reason,
    skipped: r.skipped,
    fallback: r.fallback,
    decided_at: r.decidedAt.toISOString(),
    note: routingNoteLine(r),
    take_up: r.takeUpDueAt ? { due_at: r.takeUpDueAt.toISOString(), state: r.takeUpState } : null,
    reassignments: r.reassignments,
  };
}
