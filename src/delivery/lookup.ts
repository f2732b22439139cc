// Exactly-once: after an unknown outcome, find the deal an earlier attempt may have created, by our marker
// (the LEADBRIDGE_ID field value or the lb-<uuid> tag) — never by name or contact, which are not unique, and never
// through amoCRM's full-text search, whose index lags behind writes.
import type { AmoClient, Lead, RequestOptions } from '../amocrm/index.js';
import { MARKER_FIELD_CODE, markerTag, type Marker } from './build.js';

export interface FoundDeal {
  amoLeadId: number;
  amoContactId: number | null;
}

function toFound(deal: Lead): FoundDeal {
  const contacts = deal._embedded?.contacts ?? [];
  const main = contacts.find((c) => c.is_main) ?? contacts[0];
  return { amoLeadId: deal.id, amoContactId: main?.id ?? null };
}

/**
 * Pages of 250 scanned per lookup. A page holds every deal created in the account in the window, ours and
 * everyone else's, so 20 pages = 5,000 deals created since the earliest unknown outcome of the batch.
 */
export const SCAN_PAGES = 20;
/** Deals are looked for from this long before the first unknown outcome (request timeout + clock skew). */
export const SCAN_SLACK_MS = 5 * 60_000;

export interface LookupResult {
  found: Map<string, FoundDeal>;
  /** True when the scan reached the end of the window: a lead not in `found` provably has no deal. */
  complete: boolean;
  calls: number;
}

/**
 * Finds the deals earlier attempts may have created, for a whole batch at once, WITHOUT amoCRM's search (an
 * index that lags behind writes): deals created since the earliest unknown outcome (`filter[created_at][from]`,
 * `order[id]=asc`, so new deals append at the end and no page shifts), scanned for our marker, at most
 * SCAN_PAGES calls. Pages are requested by number, not by following `next` (which may drop `with`).
 */
export async function findDeliveredDeals(
  amo: AmoClient,
  wanted: { leadId: string; since: Date | null }[],
  marker: Marker,
  opts: RequestOptions,
  now: number = Date.now(),
): Promise<LookupResult> {
  const found = new Map<string, FoundDeal>();
  if (wanted.length === 0) return { found, complete: true, calls: 0 };
  const earliest = Math.min(...wanted.map((w) => w.since?.getTime() ?? now));
  const from = Math.max(0, Math.floor((earliest - SCAN_SLACK_MS) / 1000));
  const ids = new Set(wanted.map((w) => w.leadId));
  let calls = 0;
  for (let page = 1; page <= SCAN_PAGES; page++) {
    const res = await amo.leads.list({ filter: { created_at: { from } }, order: { id: 'asc' }, with: ['contacts'], limit: 250, page }, opts);
    calls++;
    for (const deal of res.items) {
      const id = markerOf(deal, marker);
      if (id !== undefined && ids.has(id) && !found.has(id)) found.set(id, toFound(deal));
    }
    if (found.size === ids.size || res.items.length < 250 || !res.nextUrl) return { found, complete: true, calls };
  }
  return { found, complete: found.size === ids.size, calls };
}

const TAG_PREFIX = markerTag('');

/** The Leadbridge lead id a deal carries (field or tag), if any. */
function markerOf(deal: Lead, marker: Marker): string | undefined {
  const field = (deal.custom_fields_values ?? []).find((f) => f.field_code === MARKER_FIELD_CODE || (marker.kind === 'field' && f.field_id === marker.fieldId));
  const v = field?.values[0]?.value;
  if (v !== undefined && v !== null && String(v) !== '') return String(v);
  const tag = (deal._embedded?.tags ?? []).find((t) => t.name.startsWith(TAG_PREFIX));
  return tag ? tag.name.slice(TAG_PREFIX.length) : undefined;
}

/** One lead (replay tools): the batch scan for a single id. */
export async function findDeliveredDeal(amo: AmoClient, leadId: string, marker: Marker, since: Date | null, opts: RequestOptions): Promise<FoundDeal | null> {
  const r = await findDeliveredDeals(amo, [{ leadId, since }], marker, opts);
  return r.found.get(leadId) ?? null;
}

/** Is the LEADBRIDGE_ID lead field in the account? (setup creates it; without it the marker is a tag). */
export async function detectMarker(amo: AmoClient, opts: RequestOptions): Promise<Marker> {
  const fields = await amo.customFields.listAll('leads', {}, opts);
  const f = fields.find((x) => x.code === MARKER_FIELD_CODE);
  return f ? { kind: 'field', fieldId: f.id } : { kind: 'tag' };
}
