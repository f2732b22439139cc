// Rule matching: the lead's facts (form, utm_*, referrer / landing host, phone country, form fields) and the local
// day/time against each rule's conditions; the first rule whose every condition holds wins. Pure.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { localTime } from './clock.js';
import type { LeadFacts, RuleMatch, RuleSpec } from './types.js';

/** The parts of a stored lead routing looks at (a structural subset of intake's row). */
export interface LeadLike {
  formKey: string;
  phone: string | null;
  message?: string | null;
  attribution: Record<string, string | Record<string, string>>;
  extra: Record<string, unknown>;
  raw?: Record<string, unknown>;
}

function host(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return null;
  }
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : Array.isArray(v) ? v.map(String).join(', ') : undefined);

export function leadFacts(lead: LeadLike): LeadFacts {
  const utm: Record<string, string> = {};
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(lead.attribution)) if (typeof v === 'string') flat[k] = v;
  // A utm value sent only as a touch (first_touch / last_touch) still counts: the last touch first.
  const touches = [lead.attribution.last_touch, lead.attribution.first_touch].filter((t): t is Record<string, string> => typeof t === 'object' && t !== null);
  for (const k of ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term']) {
    const v = flat[k] ?? touches.map((t) => t[k]).find((x) => typeof x === 'string');
    if (v) utm[k] = v;
  }
  const fields: Record<string, string> = {};
  for (const src of [lead.raw ?? {}, lead.extra]) {
    for (const [k, v] of Object.entries(src)) {
      const t = text(v);
      if (t !== undefined) fields[k] = t;
    }
  }
  if (lead.message) fields.message = lead.message;
  let phoneCountry: string | null = null;
  if (lead.phone) phoneCountry = parsePhoneNumberFromString(lead.phone)?.country ?? null;
  return {
    form: lead.formKey,
    utm,
    referrerHost: host(flat.referrer ?? touches.map((t) => t.referrer).find(Boolean)),
    landingHost: host(flat.landing_page ?? touches.map((t) => t.landing_page).find(Boolean)),
    phoneCountry,
    fields,
  };
}

const globs = new Map<string, RegExp>();
/** Case-insensitive; `*` matches anything (so `*.example.com`, `google*`). Patterns are lower-cased by config. */
export function matchesPattern(value: string | null | undefined, patterns: string[]): boolean {
  if (value === null || value === undefined) return false;
  const v = value.trim().toLowerCase();
  return patterns.some((p) => {
    if (!p.includes('*')) return v === p;
    let re = globs.get(p);
    if (!re) {
      re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      globs.set(p, re);
    }
    return re.test(v);
  });
}

export function ruleMatches(m: RuleMatch, f: LeadFacts, at: Date): boolean {
  if (m.form && !matchesPattern(f.form, m.form)) return false;
  for (const [k, p] of Object.entries(m.utm ?? {})) if (!matchesPattern(f.utm[k], p)) return false;
  if (m.referrerHost && !matchesPattern(f.referrerHost, m.referrerHost)) return false;
  if (m.landingHost && !matchesPattern(f.landingHost, m.landingHost)) return false;
  if (m.phoneCountry && !matchesPattern(f.phoneCountry, m.phoneCountry)) return false;
  for (const [k, p] of Object.entries(m.fields ?? {})) if (!matchesPattern(f.fields[k], p)) return false;
  if (m.days || m.time) {
    const t = localTime(at, m.timezone ?? 'UTC');
    if (m.days && !m.days.includes(t.day)) return false;
    if (m.time) {
      const { from, to } = m.time;
      const inside = from < to ? t.minutes >= from && t.minutes < to : t.minutes >= from || t.minutes < to;
      if (!inside) return false;
    }
  }
  return true;
}

export function firstMatchingRule(rules: RuleSpec[], f: LeadFacts, at: Date): RuleSpec | undefined {
  return rules.find((r) => ruleMatches(r.match, f, at));
}
