// Google Ads lead form webhook (capture-sources.md §3): JSON with user_column_data, lead_id, gcl_id, campaign
// ids and the google_key the advertiser chose (the only authentication). is_test marks "Send test data".
import { LeadBody, sourceKey } from './map.js';

const COLUMNS: Record<string, string> = { FULL_NAME: 'name', PHONE_NUMBER: 'phone', EMAIL: 'email', WORK_EMAIL: 'email', WORK_PHONE: 'phone' };

export interface GoogleAdsColumn {
  column_id?: string;
  column_name?: string;
  string_value?: string;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9а-яё]+/giu, '_').replace(/^_+|_+$/g, '').slice(0, 64) || 'field';
}

export function googleAdsLead(form: string, body: Record<string, unknown>): { body: Record<string, unknown>; idempotencyKey?: string } {
  const lead = new LeadBody();
  const columns = Array.isArray(body.user_column_data) ? (body.user_column_data as GoogleAdsColumn[]) : [];
  const names: string[] = [];
  for (const c of columns) {
    if (!c || typeof c !== 'object') continue;
    const id = String(c.column_id ?? '');
    const value = c.string_value;
    if (id === 'FIRST_NAME' || id === 'LAST_NAME') {
      if (value) names[id === 'FIRST_NAME' ? 0 : 1] = value;
    } else if (COLUMNS[id]) lead.fallback(COLUMNS[id], value);
    else lead.set(`extra.${slug(String(c.column_name ?? id))}`, value);
  }
  if (names.length > 0) lead.fallback('name', names.filter(Boolean).join(' '));
  lead.set('gclid', body.gcl_id);
  lead.set('utm_source', 'google');
  lead.set('utm_medium', 'lead_form');
  if (body.campaign_id !== undefined) lead.set('utm_campaign', String(body.campaign_id));
  for (const k of ['form_id', 'campaign_id', 'adgroup_id', 'creative_id', 'asset_group_id']) {
    if (body[k] !== undefined && body[k] !== null) lead.set(`extra.google_${k}`, String(body[k]));
  }
  const out: { body: Record<string, unknown>; idempotencyKey?: string } = { body: lead.build(form) };
  if (typeof body.lead_id === 'string' && body.lead_id) out.idempotencyKey = sourceKey('gads', body.lead_id);
  return out;
}
