import type { EventName } from '../events/index.js';

/** Every event that can change a deal's facts (deal.history_changed: a late stage placed in the past). */
export const DEAL_FACT_EVENTS = [
  'deal.created',
  'deal.stage_changed',
  'deal.responsible_changed',
  'deal.price_changed',
  'deal.won',
  'deal.lost',
  'deal.deleted',
  'deal.restored',
  'deal.history_changed',
] as const satisfies readonly EventName[];
