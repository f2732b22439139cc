// The `routing:` section of leadbridge.yaml: zod schema (snake_case) → RoutingConfig (camelCase). Every problem
// (unknown manager or pool, bad time zone, bad hours, a `fixed` rule without a user) is reported with its path, so
// an invalid routing config stops start-up with all of them listed. Language reference: docs/routing.md.
import { z } from 'zod';
import { isTimeZone, parseClock, parseDays } from './clock.js';
import { STRATEGIES, type Absence, type Fallback, type HoursRange, type ManagerSpec, type RoutingConfig, type RuleMatch, type RuleSpec, type Strategy } from './types.js';

const Ref = z.union([z.number().int().positive(), z.string().trim().min(1).max(200)]);
const Days = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const HoursItem = z.object({ days: Days.default('mon-fri'), from: z.string(), to: z.string() }).strict();
const AbsenceItem = z.object({ from: z.string(), to: z.string(), note: z.string().max(200).optional() }).strict();
const ManagerObject = z
  .object({
    user: Ref,
    weight: z.number().int().min(1).max(1000).default(1),
    timezone: z.string().optional(),
    hours: z.union([HoursItem, z.array(HoursItem).min(1)]).optional(),
    absent: z.array(AbsenceItem).default([]),
    daily_cap: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
const Pattern = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).min(1)]);
const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const;
const MatchSchema = z
  .object({
    form: Pattern.optional(),
    utm_source: Pattern.optional(),
    utm_medium: Pattern.optional(),
    utm_campaign: Pattern.optional(),
    utm_content: Pattern.optional(),
    utm_term: Pattern.optional(),
    referrer_host: Pattern.optional(),
    landing_host: Pattern.optional(),
    phone_country: Pattern.optional(),
    fields: z.record(z.string().min(1).max(64), Pattern).optional(),
    days: Days.optional(),
    /** "09:00-18:00" local time (the rule's `timezone`, else routing.timezone). */
    time: z.string().optional(),
    timezone: z.string().optional(),
  })
  .strict();
const PoolRef = z.union([z.string().min(1), z.array(Ref).min(1)]);
const FallbackSchema = z.union([
  z.literal('next_on_shift'),
  z.object({ pool: PoolRef, strategy: z.enum(STRATEGIES).optional() }).strict(),
  z.object({ user: Ref }).strict(),
]);
const RuleSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    match: MatchSchema.default({}),
    pool: PoolRef.optional(),
    strategy: z.enum(STRATEGIES).optional(),
    /** The manager of a `fixed` rule (a key from `managers:`, or an amoCRM id / email / name). */
    user: Ref.optional(),
    sticky: z.boolean().default(true),
    sticky_ignore_hours: z.boolean().default(false),
    take_up_minutes: z.number().positive().max(7 * 24 * 60).optional(),
    fallback: FallbackSchema.optional(),
  })
  .strict();

export const RoutingFileSchema = z
  .object({
    timezone: z.string().default('Europe/Moscow'),
    /** The simplest form: round-robin over these amoCRM users (ids, emails or names). */
    users: z.array(Ref).default([]),
    managers: z.record(z.string().trim().min(1).max(64), z.union([Ref, ManagerObject])).default({}),
    pools: z.record(z.string().trim().min(1).max(64), z.array(Ref).min(1)).default({}),
    rules: z.array(RuleSchema).default([]),
    take_up_task: z
      .object({ text: z.string().min(1).max(1000).optional(), due_minutes: z.number().int().min(1).max(7 * 24 * 60).optional() })
      .strict()
      .optional(),
  })
  .strict();

export type RoutingFileInput = z.input<typeof RoutingFileSchema>;
type Raw = z.output<typeof RoutingFileSchema>;

export const DEFAULT_TAKE_UP_TASK = 'Лид передан вам: предыдущий менеджер не взял его в работу за {{minutes}} мин. Свяжитесь с клиентом.';

const list = (p: z.output<typeof Pattern>): string[] => (Array.isArray(p) ? p : [p]).map((x) => String(x).trim().toLowerCase());

/** Raw section → typed config; `problem(path, message)` is called for every problem found (paths under `routing`). */
export function normaliseRouting(raw: Raw, problem: (path: (string | number)[], message: string) => void): RoutingConfig {
  const tzOk = (tz: string, path: (string | number)[]) => {
    if (isTimeZone(tz)) return true;
    problem(path, `unknown time zone "${tz}" (use an IANA name such as Europe/Moscow or Asia/Bangkok)`);
    return false;
  };
  const timezone = tzOk(raw.timezone, ['timezone']) ? raw.timezone : 'UTC';
  const managers: Record<string, ManagerSpec> = {};

  for (const [key, m] of Object.entries(raw.managers)) {
    const path = ['managers', key];
    if (typeof m !== 'object') {
      managers[key] = { key, ref: m, weight: 1, timezone, hours: null, absences: [], dailyCap: null };
      continue;
    }
    const tz = m.timezone !== undefined && tzOk(m.timezone, [...path, 'timezone']) ? m.timezone : timezone;
    let hours: HoursRange[] | null = null;
    if (m.hours !== undefined) {
      hours = [];
      (Array.isArray(m.hours) ? m.hours : [m.hours]).forEach((h, i) => {
        const hp = [...path, 'hours', ...(Array.isArray(m.hours) ? [i] : [])];
        const days = parseDays(h.days);
        const from = parseClock(h.from);
        const to = parseClock(h.to);
        if (!days) problem([...hp, 'days'], `days: use "mon-fri", "mon,wed,fri", "daily" or a list (got ${JSON.stringify(h.days)})`);
        if (from === undefined) problem([...hp, 'from'], `time as HH:MM (got "${h.from}")`);
        if (to === undefined) problem([...hp, 'to'], `time as HH:MM (got "${h.to}")`);
        if (from !== undefined && to !== undefined && from === to) problem(hp, 'from and to are the same time');
        if (days && from !== undefined && to !== undefined) hours?.push({ days, from, to: to === 0 ? 24 * 60 : to });
      });
    }
    const absences: Absence[] = [];
    m.absent.forEach((a, i) => {
      const bad = (v: string) => !/^\d{4}-\d{2}-\d{2}$/.test(v) && Number.isNaN(Date.parse(v));
      if (bad(a.from) || bad(a.to)) problem([...path, 'absent', i], 'from/to: a date (2026-12-24) or a date-time with offset (2026-12-24T14:00:00+03:00)');
      else absences.push({ from: a.from, to: a.to, ...(a.note ? { note: a.note } : {}) });
    });
    managers[key] = { key, ref: m.user, weight: m.weight, timezone: tz, hours, absences, dailyCap: m.daily_cap ?? null };
  }

  // A pool entry is a manager key, or an amoCRM id / email / name that becomes a manager with default settings.
  const managerFor = (ref: number | string): string => {
    if (typeof ref === 'string' && managers[ref]) return ref;
    const key = typeof ref === 'number' ? `user:${ref}` : ref;
    managers[key] ??= { key, ref, weight: 1, timezone, hours: null, absences: [], dailyCap: null };
    return key;
  };
  const poolOf = (p: string | (number | string)[], path: (string | number)[]): { keys: string[]; poolKey: string | null } => {
    if (typeof p === 'string') {
      const named = raw.pools[p];
      if (!named) {
        problem(path, `no pool named "${p}" in routing.pools (pools: ${Object.keys(raw.pools).join(', ') || 'none'})`);
        return { keys: [], poolKey: null };
      }
      return { keys: [...new Set(named.map(managerFor))], poolKey: `pool:${p}` };
    }
    return { keys: [...new Set(p.map(managerFor))], poolKey: null };
  };

  // Members of every pool are managers (doctor checks them), used by a rule or not.
  for (const members of Object.values(raw.pools)) members.forEach(managerFor);
  const rules: RuleSpec[] = [];
  const names = new Set<string>();
  raw.rules.forEach((r, i) => {
    const path = ['rules', i];
    if (names.has(r.name)) problem([...path, 'name'], `duplicate rule name "${r.name}"`);
    names.add(r.name);
    const strategy: Strategy = r.strategy ?? (r.user !== undefined && r.pool === undefined ? 'fixed' : 'round_robin');
    let pool = r.pool !== undefined ? poolOf(r.pool, [...path, 'pool']) : { keys: [] as string[], poolKey: null as string | null };
    let fixed: string | undefined;
    if (strategy === 'fixed') {
      if (r.user === undefined) problem([...path, 'user'], 'a `fixed` rule names its manager in `user:`');
      else {
        fixed = managerFor(r.user);
        if (pool.keys.length === 0) pool = { keys: [fixed], poolKey: null };
      }
    } else if (r.user !== undefined) problem([...path, 'user'], '`user:` is only for strategy `fixed` (use `pool:` for the others)');
    if (pool.keys.length === 0 && r.pool === undefined && strategy !== 'fixed') problem([...path, 'pool'], 'a rule needs a `pool:` (a pool name or a list of managers)');
    const match = toMatch(r.match, [...path, 'match'], timezone, problem, tzOk);
    let fallback: Fallback | null = null;
    if (r.fallback === 'next_on_shift') fallback = { kind: 'next_on_shift' };
    else if (r.fallback && 'user' in r.fallback) fallback = { kind: 'user', manager: managerFor(r.fallback.user) };
    else if (r.fallback) {
      const fp = poolOf(r.fallback.pool, [...path, 'fallback', 'pool']);
      fallback = { kind: 'pool', pool: fp.keys, poolKey: fp.poolKey ?? `fallback:${r.name}`, strategy: r.fallback.strategy ?? 'round_robin' };
    }
    rules.push({
      name: r.name,
      match,
      pool: pool.keys,
      poolKey: pool.poolKey ?? `rule:${r.name}`,
      strategy,
      ...(fixed !== undefined ? { fixed } : {}),
      sticky: r.sticky,
      stickyIgnoresHours: r.sticky_ignore_hours,
      takeUpMinutes: r.take_up_minutes ?? null,
      fallback,
    });
  });
  if (raw.users.length > 0) {
    // The simplest form (`routing: { users: [...] }`): round-robin over them, after any rules.
    if (names.has('default')) problem(['users'], 'a rule is named "default": the `users:` list adds a rule of that name; move the users into it');
    const keys = [...new Set(raw.users.map(managerFor))];
    rules.push({ name: 'default', match: {}, pool: keys, poolKey: 'rule:default', strategy: 'round_robin', sticky: true, stickyIgnoresHours: false, takeUpMinutes: null, fallback: null });
  }
  return {
    timezone,
    managers,
    rules,
    takeUpTask: { text: raw.take_up_task?.text ?? DEFAULT_TAKE_UP_TASK, dueMinutes: raw.take_up_task?.due_minutes ?? 30 },
  };
}

function toMatch(
  m: z.output<typeof MatchSchema>,
  path: (string | number)[],
  timezone: string,
  problem: (path: (string | number)[], message: string) => void,
  tzOk: (tz: string, path: (string | number)[]) => boolean,
): RuleMatch {
  const out: RuleMatch = {};
  if (m.form !== undefined) out.form = list(m.form);
  for (const k of UTM_KEYS) if (m[k] !== undefined) (out.utm ??= {})[k] = list(m[k] as z.output<typeof Pattern>);
  if (m.referrer_host !== undefined) out.referrerHost = list(m.referrer_host);
  if (m.landing_host !== undefined) out.landingHost = list(m.landing_host);
  if (m.phone_country !== undefined) out.phoneCountry = list(m.phone_country);
  if (m.fields !== undefined) out.fields = Object.fromEntries(Object.entries(m.fields).map(([k, v]) => [k, list(v)]));
  if (m.days !== undefined) {
    const days = parseDays(m.days);
    if (days) out.days = days;
    else problem([...path, 'days'], `days: use "mon-fri", "mon,wed,fri", "daily" or a list (got ${JSON.stringify(m.days)})`);
  }
  if (m.time !== undefined) {
    const [a, b] = m.time.split('-');
    const from = a === undefined ? undefined : parseClock(a);
    const to = b === undefined ? undefined : parseClock(b);
    if (from === undefined || to === undefined || from === to) problem([...path, 'time'], `time: a local window "HH:MM-HH:MM" (got "${m.time}")`);
    else out.time = { from, to };
  }
  if (m.days !== undefined || m.time !== undefined) out.timezone = m.timezone !== undefined && tzOk(m.timezone, [...path, 'timezone']) ? m.timezone : timezone;
  return out;
}

/** The schema FileConfigSchema uses for `routing:`: validated and normalised in one pass. */
export const RoutingSectionSchema = RoutingFileSchema.default({ timezone: 'Europe/Moscow', users: [], managers: {}, pools: {}, rules: [] }).transform((raw, ctx) => {
  let bad = false;
  const config = normaliseRouting(raw, (path, message) => {
    bad = true;
    ctx.issues.push({ code: 'custom', message, path, input: raw });
  });
  return bad ? z.NEVER : config;
});

/** An empty routing config (no rules: leads keep the responsible user amoCRM gives them). */
export function emptyRouting(): RoutingConfig {
  return { timezone: 'Europe/Moscow', managers: {}, rules: [], takeUpTask: { text: DEFAULT_TAKE_UP_TASK, dueMinutes: 30 } };
}
