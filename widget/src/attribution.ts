// First and last touch, kept 90 days in the site's own localStorage (first-party). Model: a page view whose URL
// carries utm_* or a click id is a touch; a view arriving from another site is an organic (search engine) or
// referral touch; a direct view (no referrer) or a move inside the site never replaces a touch. The first touch
// is written once (a first direct visit counts as "(direct)"); the last touch is the latest non-direct one.
import { read, write } from './storage.js';

export type Touch = Record<string, string>;
export interface Attribution {
  first?: Touch;
  last?: Touch;
}

export const PARAMS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'gclid', 'gbraid', 'wbraid', 'yclid', 'fbclid'];
export const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'yclid', 'fbclid'];
const KEY = 'lb_attr';
const TTL_MS = 90 * 24 * 3600 * 1000;
const ENGINES: [RegExp, string][] = [
  [/(^|\.)google\./, 'google'],
  [/(^|\.)yandex\.|(^|\.)ya\.ru$/, 'yandex'],
  [/(^|\.)bing\.com$/, 'bing'],
  [/(^|\.)duckduckgo\.com$/, 'duckduckgo'],
  [/(^|\.)search\.yahoo\./, 'yahoo'],
  [/(^|\.)go\.mail\.ru$/, 'mail.ru'],
];

function fresh(t: Touch | undefined, now: number): Touch | undefined {
  return t && now - Date.parse(t.at ?? '') < TTL_MS ? t : undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** Records this page view's touch (if any) and returns the stored first and last touch. */
export function track(loc: Location = location, referrer: string = document.referrer, now: number = Date.now()): Attribution {
  const state = (read<Attribution>(KEY) ?? {}) as Attribution;
  const a: Attribution = {};
  const first = fresh(state.first, now);
  const last = fresh(state.last, now);
  if (first) a.first = first;
  if (last) a.last = last;
  const q = new URLSearchParams(loc.search);
  let touch: Touch | undefined;
  for (const p of PARAMS) {
    const v = q.get(p);
    if (v) (touch ??= {})[p] = v.slice(0, 500);
  }
  const refHost = hostOf(referrer);
  if (!touch && refHost && refHost !== loc.hostname) {
    const engine = ENGINES.find(([re]) => re.test(refHost));
    touch = engine ? { utm_source: engine[1], utm_medium: 'organic' } : { utm_source: refHost, utm_medium: 'referral' };
  }
  const landing = (loc.origin + loc.pathname + loc.search).slice(0, 1000);
  const at = new Date(now).toISOString();
  if (touch) {
    touch.landing_page = landing;
    if (referrer) touch.referrer = referrer.slice(0, 1000);
    touch.at = at;
    a.first ??= touch;
    a.last = touch;
  } else if (!a.first) {
    a.first = a.last = { utm_source: '(direct)', utm_medium: '(none)', landing_page: landing, at };
  }
  write(KEY, a);
  return a;
}

function cookie(name: string): string | undefined {
  const m = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return m ? decodeURIComponent(m[1] as string) : undefined;
}

/** The lead body's attribution part: last-touch UTM at the top level, click ids from either touch, both touches, analytics ids. */
export function attributionFields(a: Attribution): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const last = a.last ?? {};
  const first = a.first ?? {};
  for (const p of PARAMS) {
    const v = CLICK_IDS.includes(p) ? (last[p] ?? first[p]) : last[p];
    if (v && !v.startsWith('(')) out[p] = v;
  }
  if (a.first) out.first_touch = a.first;
  if (a.last) out.last_touch = a.last;
  if (last.landing_page) out.landing_page = last.landing_page;
  out.referrer = last.referrer ?? document.referrer;
  out.page_url = location.href.slice(0, 1000);
  const ga = cookie('_ga')?.split('.');
  if (ga && ga.length >= 4) out.ga_client_id = ga.slice(-2).join('.');
  const ym = cookie('_ym_uid');
  if (ym) out.ym_client_id = ym;
  const fbc = cookie('_fbc');
  if (fbc) out.fbc = fbc;
  const fbp = cookie('_fbp');
  if (fbp) out.fbp = fbp;
  if (!out.referrer) delete out.referrer;
  return out;
}
