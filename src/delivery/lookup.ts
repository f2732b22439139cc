// Exactly-once: after an unknown outcome, find the deal an earlier attempt may have created, by our marker
// (the LEADBRIDGE_ID field value or the lb-<uuid> tag) — never by name or contact, which are not unique.
import type { AmoClient, Lead, RequestOptions } from '../amocrm/index.js';
import { MARKER_FIELD_CODE, markerTag, type Marker } from './build.js';

export interface FoundDeal {
  amoLeadId: number;
  amoContactId: number | null;
}

function carriesMarker(deal: Lead, leadId: string): boolean {
  const byField = (deal.custom_fields_values ?? []).some(
    (f) => f.field_code === MARKER_FIELD_CODE && f.values.some((v) => String(v.value) === leadId),
  );
  return byField || (deal._embedded?.tags ?? []).some((t) => t.name === markerTag(leadId));
}

function toFound(deal: Lead): FoundDeal {
  const contacts = deal._embedded?.contacts ?? [];
  const main = contacts.find((c) => c.is_main) ?? contacts[0];
  return { amoLeadId: deal.id, amoContactId: main?.id ?? null };
}

/** Max pages scanned by created_at when the marker is a tag (full-text `query` may not cover tags). */
const TAG_SCAN_PAGES = 8;

export async function findDeliveredDeal(
  amo: AmoClient,
  leadId: string,
  marker: Marker,
  since: Date | null,
  opts: RequestOptions,
): Promise<FoundDeal | null> {
  const page = await amo.leads.list({ query: leadId, with: ['contacts'], limit: 50 }, opts);
  const hit = page.items.find((d) => carriesMarker(d, leadId));
  if (hit) return toFound(hit);
  if (marker.kind !== 'tag') return null;
  const from = Math.floor(((since?.getTime() ?? Date.now()) - 5 * 60_000) / 1000);
  let pages = 0;
  for await (const deal of amo.leads.iterate({ filter: { created_at: { from } }, with: ['contacts'], limit: 250 }, opts)) {
    if (carriesMarker(deal, leadId)) return toFound(deal);
    if (++pages > TAG_SCAN_PAGES * 250) break;
  }
  return null;
}

/** Is the LEADBRIDGE_ID lead field in the account? (setup creates it; without it the marker is a tag). */
export async function detectMarker(amo: AmoClient, opts: RequestOptions): Promise<Marker> {
  const fields = await amo.customFields.listAll('leads', {}, opts);
  const f = fields.find((x) => x.code === MARKER_FIELD_CODE);
  return f ? { kind: 'field', fieldId: f.id } : { kind: 'tag' };
}
