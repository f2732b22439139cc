// Routing's typed config (camelCase, from the `routing:` section) and the decision it records. No I/O here.

export const STRATEGIES = ['round_robin', 'weighted_round_robin', 'least_loaded', 'fixed'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One working period: on these local weekdays, from..to in minutes after local midnight (to < from: overnight). */
export interface HoursRange {
  days: Weekday[];
  from: number;
  to: number;
}

/** An absence: local dates (YYYY-MM-DD, inclusive) or instants (ISO with time). */
export interface Absence {
  from: string;
  to: string;
  note?: string;
}

/** A manager as configured: who (amoCRM id, email or name) and when they take leads. */
export interface ManagerSpec {
  key: string;
  /** amoCRM user id, or an email / name resolved through GET /api/v4/users. */
  ref: number | string;
  weight: number;
  timezone: string;
  /** null: always on shift. */
  hours: HoursRange[] | null;
  absences: Absence[];
  /** Leads per local day; null: no cap. */
  dailyCap: number | null;
}

export type MatchValue = string[];

/** Every condition must hold (AND); a condition holds when the lead's value matches any of its patterns. */
export interface RuleMatch {
  form?: MatchValue;
  utm?: Record<string, MatchValue>;
  referrerHost?: MatchValue;
  landingHost?: MatchValue;
  phoneCountry?: MatchValue;
  fields?: Record<string, MatchValue>;
  days?: Weekday[];
  /** Local time window [from, to) in minutes (rule timezone). */
  time?: { from: number; to: number };
  timezone?: string;
}

export type Fallback =
  | { kind: 'pool'; pool: string[]; poolKey: string; strategy: Strategy }
  | { kind: 'user'; manager: string }
  | { kind: 'next_on_shift' };

export interface RuleSpec {
  name: string;
  match: RuleMatch;
  /** Manager keys, in rotation order. */
  pool: string[];
  /** Rotation state key: the named pool (`pool:sales`) or the rule (`rule:google`). */
  poolKey: string;
  strategy: Strategy;
  /** For `fixed`: the manager key. */
  fixed?: string;
  sticky: boolean;
  /** Sticky owner gets the lead even outside working hours (still not when absent, inactive or at cap). */
  stickyIgnoresHours: boolean;
  takeUpMinutes: number | null;
  fallback: Fallback | null;
}

export interface RoutingConfig {
  timezone: string;
  managers: Record<string, ManagerSpec>;
  rules: RuleSpec[];
  /** The task the new manager gets after a take-up reassignment (text; hours until due). */
  takeUpTask: { text: string; dueMinutes: number };
}

export const SKIP_REASONS = ['outside_hours', 'absent', 'inactive', 'at_cap', 'unknown_user', 'current_manager', 'not_a_manager'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface Skipped {
  manager: string;
  user_id: number | null;
  /** amoCRM name (for the note and the lead view). */
  name: string | null;
  reason: SkipReason;
  /** `sticky` when the skipped one was the returning contact's owner. */
  as?: 'sticky' | 'pool' | 'fallback';
}

export type Outcome = 'assigned' | 'sticky' | 'fallback' | 'unassigned';

/** What routing decided for one lead (stored in routing_decisions, shown in GET /api/leads/:id as `routing`). */
export interface Decision {
  rule: string | null;
  strategy: Strategy | null;
  outcome: Outcome;
  userId: number | null;
  manager: string | null;
  managerName: string | null;
  /** Human-readable why, in English (the note line is Russian, see note.ts). */
  reason: string;
  skipped: Skipped[];
  /** `pool` | `user` | `next_on_shift` when the fallback decided. */
  fallback: Fallback['kind'] | null;
  poolKey: string | null;
  takeUpMinutes: number | null;
}

/** What a rule may look at, extracted from the lead once (personal data stays out: only the phone's country). */
export interface LeadFacts {
  form: string;
  utm: Record<string, string>;
  referrerHost: string | null;
  landingHost: string | null;
  phoneCountry: string | null;
  fields: Record<string, string>;
}

/** A configured manager with what amoCRM says about them. */
export interface ResolvedManager extends ManagerSpec {
  userId: number | null;
  name: string;
  /** `unknown`: not found in amoCRM; `unchecked`: amoCRM could not be asked (treated as active). */
  status: 'active' | 'inactive' | 'free' | 'unknown' | 'unchecked';
}

/** Persisted per pool: round-robin position and smooth-weighted scores (keyed by user id). */
export interface RotationState {
  next?: number;
  scores?: Record<string, number>;
}
