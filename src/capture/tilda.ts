// Tilda's form webhook (capture-sources.md §1): form-urlencoded fields named by the site owner's variable names
// (defaults Name, Phone, Email), plus tranid, formid, formname and, with "send cookies", COOKIES. UTM comes from
// hidden utm_* fields or, failing those, the TILDAUTM cookie (`utm_source=x|||utm_medium=y`, URL-encoded).
import { cookieAttribution, LeadBody, parseCookies, sourceKey } from './map.js';

/** Lower-cased Tilda variable names that mean a core lead value. */
const DEFAULT_NAMES: Record<string, string> = {
  name: 'name', имя: 'name', phone: 'phone', телефон: 'phone', email: 'email', 'e-mail': 'email',
  message: 'message', comments: 'message', comment: 'message', textarea: 'message', сообщение: 'message',
};
const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'];
const CLICK_IDS = ['gclid', 'yclid', 'fbclid'];
const SYSTEM = new Set(['tranid', 'formid', 'formname', 'cookies']);

/** Tilda's probe when a webhook is added: the single field test=test, answered 200 "ok" and never stored. */
export function isTildaTest(body: Record<string, unknown>): boolean {
  return body.test === 'test' && body.tranid === undefined && body.Phone === undefined && body.Email === undefined;
}

/** TILDAUTM → { utm_source: …, … } (lower-cased by Tilda; last UTM touch only). */
export function parseTildaUtm(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    /* keep as sent */
  }
  for (const pair of decoded.split('|||')) {
    const i = pair.indexOf('=');
    if (i > 0 && UTM.includes(pair.slice(0, i))) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

export interface TildaLead {
  body: Record<string, unknown>;
  /** `tilda:<formid>:<tranid>`: Tilda's retries (same tranid) are one lead. */
  idempotencyKey?: string;
}

/**
 * A Tilda submission → an intake lead body. `fields` maps the owner's variable names to lead values; unmapped
 * scalar fields are kept in `extra`, nested ones (cart `payment[...]`) with the system fields in `raw.tilda`.
 */
export function tildaLead(form: string, body: Record<string, unknown>, fields: Record<string, string>, apiKeyName?: string): TildaLead {
  const lead = new LeadBody();
  const system: Record<string, unknown> = {};
  const mapped = new Map(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [k, v] of Object.entries(body)) {
    const lower = k.toLowerCase();
    if (apiKeyName && lower === apiKeyName.toLowerCase()) continue;
    if (SYSTEM.has(lower)) system[lower] = v;
    else if (mapped.has(lower)) lead.set(mapped.get(lower) as string, v);
    else if (DEFAULT_NAMES[lower]) lead.set(DEFAULT_NAMES[lower], v);
    else if (UTM.includes(lower) || CLICK_IDS.includes(lower)) lead.set(lower, v);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) system[k] = v;
    else lead.set(`extra.${k}`, v);
  }
  if (typeof system.cookies === 'string') {
    const cookies = parseCookies(system.cookies);
    for (const [k, v] of Object.entries(parseTildaUtm(cookies.TILDAUTM))) lead.fallback(k, v);
    for (const [k, v] of Object.entries(cookieAttribution(cookies))) lead.fallback(k, v);
    // The cookie string holds ids of other tools; only the names are kept as evidence.
    system.cookies = Object.keys(cookies);
  }
  const out: TildaLead = { body: lead.build(form, { tilda: system }) };
  const tranid = typeof system.tranid === 'string' ? system.tranid.trim() : '';
  if (tranid) out.idempotencyKey = sourceKey('tilda', `${String(system.formid ?? '')}:${tranid}`);
  return out;
}
