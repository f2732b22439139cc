import { describe, expect, it } from 'vitest';
import { RoutingSectionSchema, type RoutingFileInput } from './config.js';
import { decide, type DecideEnv } from './decide.js';
import { leadFacts } from './match.js';
import type { LeadFacts, ResolvedManager, RoutingConfig } from './types.js';

function config(input: RoutingFileInput): RoutingConfig {
  return RoutingSectionSchema.parse(input);
}

/** Every configured manager resolved as an active amoCRM user; `ref` numbers are their ids. */
function env(cfg: RoutingConfig, now: Date, status: Record<string, ResolvedManager['status']> = {}): DecideEnv {
  const managers = new Map<string, ResolvedManager>();
  let next = 900;
  for (const m of Object.values(cfg.managers)) {
    managers.set(m.key, { ...m, userId: typeof m.ref === 'number' ? m.ref : ++next, name: `Name ${m.key}`, status: status[m.key] ?? 'active' });
  }
  return { config: cfg, managers, now, counts: new Map(), loads: new Map(), rotations: new Map() };
}

const facts = (over: Partial<LeadFacts> = {}): LeadFacts => ({ form: 'site', utm: {}, referrerHost: null, landingHost: null, phoneCountry: null, fields: {}, ...over });
const tally = (ids: (number | null)[]) => ids.reduce<Record<string, number>>((a, id) => ((a[String(id)] = (a[String(id)] ?? 0) + 1), a), {});
// Tuesday 2026-12-01 12:00 in Moscow.
const NOON_MSK = new Date('2026-12-01T09:00:00Z');

describe('strategies', () => {
  it('round-robin over 3 managers and 300 leads gives 100 each, in turn', () => {
    const e = env(config({ users: [101, 102, 103] }), NOON_MSK);
    const ids = Array.from({ length: 300 }, () => decide(e, { facts: facts() }).userId);
    expect(ids.slice(0, 6)).toEqual([101, 102, 103, 101, 102, 103]);
    expect(tally(ids)).toEqual({ 101: 100, 102: 100, 103: 100 });
  });

  it('weighted round-robin 2:1:1 over 400 leads gives 200/100/100, smoothly', () => {
    const cfg = config({
      managers: { a: { user: 1, weight: 2 }, b: { user: 2 }, c: { user: 3 } },
      rules: [{ name: 'all', pool: ['a', 'b', 'c'], strategy: 'weighted_round_robin' }],
    });
    const e = env(cfg, NOON_MSK);
    const ids = Array.from({ length: 400 }, () => decide(e, { facts: facts() }).userId);
    expect(ids.slice(0, 8)).toEqual([1, 2, 3, 1, 1, 2, 3, 1]); // no bursts: never 1,1,1
    expect(tally(ids)).toEqual({ 1: 200, 2: 100, 3: 100 });
  });

  it('least loaded picks the manager with fewest open deals and counts its own picks', () => {
    const cfg = config({ rules: [{ name: 'll', pool: [1, 2, 3], strategy: 'least_loaded' }] });
    const e = env(cfg, NOON_MSK);
    e.loads.set(1, 5).set(2, 1).set(3, 2);
    const ids = Array.from({ length: 4 }, () => decide(e, { facts: facts() }).userId);
    // 2 has fewest; then 2 and 3 tie (2 each) and the round-robin position breaks the tie, and so on.
    expect(ids).toEqual([2, 3, 2, 3]);
  });

  it('fixed always names its manager', () => {
    const e = env(config({ rules: [{ name: 'vip', user: 7 }] }), NOON_MSK);
    const d = decide(e, { facts: facts() });
    expect(d).toMatchObject({ rule: 'vip', strategy: 'fixed', outcome: 'assigned', userId: 7 });
  });
});

describe('availability', () => {
  const base: RoutingFileInput = {
    managers: {
      day: { user: 1, timezone: 'Europe/Moscow', hours: { days: 'mon-fri', from: '09:00', to: '18:00' } },
      away: { user: 2, absent: [{ from: '2026-11-30', to: '2026-12-06' }] },
      gone: { user: 3 },
      busy: { user: 4, daily_cap: 2 },
      ok: { user: 5 },
    },
    rules: [{ name: 'all', pool: ['day', 'away', 'gone', 'busy', 'ok'] }],
  };

  it('skips outside hours, absent, inactive and at cap — each with its reason', () => {
    const evening = new Date('2026-12-01T17:30:00Z'); // 20:30 in Moscow
    const e = env(config(base), evening, { gone: 'inactive' });
    const ids = Array.from({ length: 6 }, () => decide(e, { facts: facts() }));
    expect(tally(ids.map((d) => d.userId))).toEqual({ 4: 2, 5: 4 });
    const last = ids[5];
    expect(last?.outcome).toBe('assigned');
    expect(last?.skipped).toEqual([
      { manager: 'day', user_id: 1, name: 'Name day', reason: 'outside_hours', as: 'pool' },
      { manager: 'away', user_id: 2, name: 'Name away', reason: 'absent', as: 'pool' },
      { manager: 'gone', user_id: 3, name: 'Name gone', reason: 'inactive', as: 'pool' },
      { manager: 'busy', user_id: 4, name: 'Name busy', reason: 'at_cap', as: 'pool' },
    ]);
  });

  it('working hours follow the manager time zone; the cap resets on the next local day', () => {
    const e = env(config(base), NOON_MSK, { gone: 'inactive' });
    const first = Array.from({ length: 3 }, () => decide(e, { facts: facts() }).userId);
    expect(first).toEqual([1, 4, 5]); // the day manager is on shift at noon in Moscow
    e.counts.set('4:2026-12-01', 2);
    const d = decide(e, { facts: facts() });
    expect(d.skipped.find((s) => s.user_id === 4)?.reason).toBe('at_cap');
    e.now = new Date('2026-12-02T09:00:00Z');
    expect(decide(e, { facts: facts() }).skipped.find((s) => s.user_id === 4)).toBeUndefined();
  });

  it('an amoCRM user that does not exist is skipped as unknown_user', () => {
    const cfg = config({ rules: [{ name: 'r', pool: ['nobody@example.test', 'x@example.test'] }] });
    const e = env(cfg, NOON_MSK, { 'nobody@example.test': 'unknown' });
    const d = decide(e, { facts: facts() });
    expect(d.manager).toBe('x@example.test');
    expect(d.skipped).toEqual([{ manager: 'nobody@example.test', user_id: expect.any(Number), name: 'Name nobody@example.test', reason: 'unknown_user', as: 'pool' }]);
  });
});

describe('rules', () => {
  const cfg = config({
    managers: { google: { user: 11 }, a: { user: 21 }, b: { user: 22 } },
    rules: [
      { name: 'google_ads', match: { utm_source: 'google', utm_medium: ['cpc', 'ppc'] }, pool: ['google'] },
      { name: 'fitness', match: { form: 'fitzone', fields: { direction: 'йога' } }, pool: ['b'] },
      { name: 'foreign', match: { phone_country: ['TH', 'ID'] }, pool: ['a'] },
      { name: 'partners', match: { referrer_host: '*.partner.example' }, pool: ['b'] },
      { name: 'default', pool: ['a', 'b'] },
    ],
  });

  it('a utm_source rule wins over the default; the first matching rule wins', () => {
    const e = env(cfg, NOON_MSK);
    expect(decide(e, { facts: facts({ utm: { utm_source: 'Google', utm_medium: 'cpc' } }) })).toMatchObject({ rule: 'google_ads', userId: 11 });
    expect(decide(e, { facts: facts({ utm: { utm_source: 'google', utm_medium: 'email' } }) })).toMatchObject({ rule: 'default' });
    expect(decide(e, { facts: facts({ utm: { utm_source: 'yandex' } }) })).toMatchObject({ rule: 'default' });
  });

  it('matches form fields, the phone country and the referrer host from a stored lead', () => {
    const e = env(cfg, NOON_MSK);
    const lead = (over: Record<string, unknown>) => leadFacts({ formKey: 'site', phone: null, attribution: {}, extra: {}, ...over });
    expect(decide(e, { facts: lead({ formKey: 'fitzone', extra: { direction: 'Йога' } }) }).rule).toBe('fitness');
    expect(decide(e, { facts: lead({ phone: '+66812345678' }) }).rule).toBe('foreign');
    expect(decide(e, { facts: lead({ phone: '+79001234567' }) }).rule).toBe('default');
    expect(decide(e, { facts: lead({ attribution: { referrer: 'https://www.shop.partner.example/page?x=1' } }) }).rule).toBe('partners');
    expect(decide(e, { facts: lead({ attribution: { last_touch: { utm_source: 'google', utm_medium: 'cpc' } } }) }).rule).toBe('google_ads');
  });

  it('day/time conditions use the rule time zone', () => {
    const c = config({
      rules: [
        { name: 'night', match: { time: '20:00-09:00', timezone: 'Asia/Bangkok' }, pool: [5] },
        { name: 'weekend', match: { days: 'sat,sun' }, pool: [6] },
        { name: 'default', pool: [7] },
      ],
    });
    expect(decide(env(c, new Date('2026-12-01T14:00:00Z')), { facts: facts() }).rule).toBe('night'); // 21:00 Bangkok
    expect(decide(env(c, new Date('2026-12-05T07:00:00Z')), { facts: facts() }).rule).toBe('weekend'); // Sat 14:00 Bangkok, 10:00 MSK
    expect(decide(env(c, NOON_MSK), { facts: facts() }).rule).toBe('default');
  });
});

describe('sticky and fallback', () => {
  const cfg = config({
    managers: { anna: { user: 1, absent: [{ from: '2026-12-10', to: '2026-12-20' }] }, boris: { user: 2 }, duty: { user: 9 } },
    rules: [{ name: 'default', pool: ['anna', 'boris'], fallback: { user: 'duty' } }],
  });

  it('a returning contact goes to its manager, without taking a turn', () => {
    const e = env(cfg, NOON_MSK);
    expect(decide(e, { facts: facts() }).userId).toBe(1);
    const d = decide(e, { facts: facts(), ownerUserId: 1 });
    expect(d).toMatchObject({ outcome: 'sticky', userId: 1, reason: 'returning contact: their manager' });
    expect(decide(e, { facts: facts() }).userId).toBe(2); // the rotation did not move for the sticky lead
  });

  it('not when that manager is absent: the pool decides and the skip is recorded', () => {
    const e = env(cfg, new Date('2026-12-15T09:00:00Z'));
    const d = decide(e, { facts: facts(), ownerUserId: 1 });
    expect(d).toMatchObject({ outcome: 'assigned', userId: 2 });
    expect(d.skipped).toContainEqual({ manager: 'anna', user_id: 1, name: 'Name anna', reason: 'absent', as: 'sticky' });
  });

  it('an owner who is not one of the routing managers is ignored', () => {
    const d = decide(env(cfg, NOON_MSK), { facts: facts(), ownerUserId: 555 });
    expect(d.outcome).toBe('assigned');
    expect(d.skipped).toContainEqual({ manager: 'user:555', user_id: 555, name: null, reason: 'not_a_manager', as: 'sticky' });
  });

  it('nobody available → the duty-manager fallback, recorded', () => {
    const e = env(cfg, NOON_MSK, { anna: 'inactive', boris: 'free' });
    const d = decide(e, { facts: facts() });
    expect(d).toMatchObject({ outcome: 'fallback', fallback: 'user', userId: 9, reason: 'fallback: the duty manager' });
    expect(d.skipped.map((s) => s.reason)).toEqual(['inactive', 'inactive']);
  });

  it('fallback to another pool, and to the next one on shift', () => {
    const c = config({
      managers: {
        early: { user: 1, timezone: 'Europe/Moscow', hours: { days: 'daily', from: '08:00', to: '10:00' } },
        late: { user: 2, timezone: 'Europe/Moscow', hours: { days: 'daily', from: '11:00', to: '12:00' } },
      },
      pools: { night: [7, 8] },
      rules: [
        { name: 'web', match: { form: 'web' }, pool: ['early', 'late'], fallback: 'next_on_shift' },
        { name: 'other', pool: ['early', 'late'], fallback: { pool: 'night' } },
      ],
    });
    const e = env(c, new Date('2026-12-01T07:30:00Z')); // 10:30 MSK: both off shift, "late" comes first at 11:00
    const d = decide(e, { facts: facts({ form: 'web' }) });
    expect(d).toMatchObject({ outcome: 'fallback', fallback: 'next_on_shift', userId: 2, reason: 'fallback: next on shift (2026-12-01T08:00:00.000Z)' });
    expect(Array.from({ length: 2 }, () => decide(e, { facts: facts() })).map((x) => [x.outcome, x.fallback, x.userId])).toEqual([
      ['fallback', 'pool', 7],
      ['fallback', 'pool', 8],
    ]);
  });

  it('no fallback and nobody available → unassigned, recorded with every skip', () => {
    const c = config({ rules: [{ name: 'r', pool: [1] }] });
    const d = decide(env(c, NOON_MSK, { 'user:1': 'inactive' }), { facts: facts() });
    expect(d).toMatchObject({ outcome: 'unassigned', userId: null, skipped: [{ user_id: 1, reason: 'inactive' }] });
  });

  it('reassignment by rule excludes the current manager', () => {
    const e = env(cfg, NOON_MSK);
    const rule = cfg.rules[0];
    const d = decide(e, { facts: facts(), rule, exclude: [1] });
    expect(d).toMatchObject({ userId: 2, skipped: [{ user_id: 1, reason: 'current_manager' }] });
  });
});

describe('config', () => {
  it('lists every problem with its path', () => {
    const r = RoutingSectionSchema.safeParse({
      timezone: 'Mars/Base',
      managers: { a: { user: 1, hours: { days: 'mon-frx', from: '9am', to: '18:00' } } },
      rules: [{ name: 'x', pool: 'missing' }, { name: 'x', strategy: 'fixed' }, { name: 'y', match: { time: '10-12' }, pool: ['a'] }],
    });
    expect(r.success).toBe(false);
    const problems = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^timezone: unknown time zone "Mars\/Base"/),
        expect.stringMatching(/^managers\.a\.hours\.days: /),
        expect.stringMatching(/^managers\.a\.hours\.from: time as HH:MM/),
        expect.stringMatching(/^rules\.0\.pool: no pool named "missing"/),
        expect.stringMatching(/^rules\.1\.name: duplicate rule name/),
        expect.stringMatching(/^rules\.1\.user: a `fixed` rule names its manager/),
        expect.stringMatching(/^rules\.2\.match\.time: /),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('keeps the simplest form: users → a default round-robin rule', () => {
    const c = config({ users: [5, 'anna@example.test'] });
    expect(c.rules).toEqual([expect.objectContaining({ name: 'default', strategy: 'round_robin', pool: ['user:5', 'anna@example.test'] })]);
  });
});
