// Meta (Facebook/Instagram) Lead Ads (capture-sources.md §4): the `page` webhook's `leadgen` changes carry only
// ids; the answers are fetched from the Graph API (GET /<version>/<leadgen_id>?access_token=…). A change that
// already carries `field_data` (a relay that fetched it) is used as it is.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LeadBody, sourceKey } from './map.js';

export interface LeadgenChange {
  leadgen_id: string;
  form_id?: string;
  ad_id?: string;
  page_id?: string;
  field_data?: MetaFieldData[];
}

export interface MetaFieldData {
  name: string;
  values: string[];
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
export function metaSignatureValid(raw: Buffer, header: unknown, appSecret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  const given = Buffer.from(header.slice(7), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Every leadgen change of a notification. */
export function leadgenChanges(body: unknown): LeadgenChange[] {
  const out: LeadgenChange[] = [];
  const entries = (body as { entry?: unknown })?.entry;
  if (!Array.isArray(entries)) return out;
  for (const e of entries) {
    const changes = (e as { changes?: unknown })?.changes;
    if (!Array.isArray(changes)) continue;
    for (const c of changes) {
      const ch = c as { field?: unknown; value?: Record<string, unknown> };
      const id = ch?.value?.leadgen_id;
      if (ch.field === 'leadgen' && (typeof id === 'string' || typeof id === 'number')) {
        out.push({ ...(ch.value as object), leadgen_id: String(id) } as LeadgenChange);
      }
    }
  }
  return out;
}

const NAMES: Record<string, string> = { full_name: 'name', phone_number: 'phone', phone: 'phone', email: 'email', work_email: 'email', work_phone_number: 'phone' };

export function metaLead(form: string, change: LeadgenChange, fieldData: MetaFieldData[]): { body: Record<string, unknown>; idempotencyKey: string } {
  const lead = new LeadBody();
  const names: string[] = [];
  for (const f of fieldData) {
    const value = Array.isArray(f?.values) ? f.values.join(', ') : undefined;
    if (f.name === 'first_name') names[0] = value ?? '';
    else if (f.name === 'last_name') names[1] = value ?? '';
    else if (NAMES[f.name]) lead.fallback(NAMES[f.name] as string, value);
    else lead.set(`extra.${f.name}`, value);
  }
  if (names.length > 0) lead.fallback('name', names.filter(Boolean).join(' '));
  lead.set('utm_source', 'facebook');
  lead.set('utm_medium', 'lead_ads');
  for (const k of ['form_id', 'ad_id', 'page_id'] as const) lead.set(`extra.meta_${k}`, change[k]);
  return { body: lead.build(form), idempotencyKey: sourceKey('meta', change.leadgen_id) };
}
