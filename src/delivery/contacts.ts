// Contact dedup for a batch: the local index (contacts we created or found), then — in `search` mode — one
// amoCRM search per still-unknown contact, then grouping inside the batch so two leads with the same phone or
// email never create two contacts in one request (amoCRM does not dedupe inside a request).
import { digitsOf, fieldValues, normaliseEmail, phonesMatch, type AmoClient, type RequestOptions } from '../amocrm/index.js';
import type { LeadRow } from '../db/index.js';
import { contactKeys } from './build.js';
import type { ContactSync } from './contact-sync.js';
import { CONTACT_PENDING, findContacts, pendingSource, releaseContactKeys, reserveContactKeys, upsertContacts, type Tx } from './sql.js';

/**
 * - `search`: local index, then one amoCRM `GET /contacts?query=` per unknown contact (accurate, ~1 request per new
 *   contact, so it caps throughput at the rate limit);
 * - `local_only`: only the local index (contacts Leadbridge created or found before): no extra requests;
 * - `amo_duplicate_control`: local index, then let amoCRM's duplicate control (complex) merge by phone/email.
 */
import type { ContactLookup } from '../config/index.js';

export { CONTACT_LOOKUPS, type ContactLookup } from '../config/index.js';

export interface ContactPlan {
  /** Existing amoCRM contact to link (from the index or a search). */
  known: Map<string, number>;
  /** Lead id → the lead whose new contact it must wait for (same phone/email earlier in the batch). */
  waitsFor: Map<string, string>;
  /** Number of amoCRM searches made. */
  searches: number;
  /** Leads whose phone/email contact is being created by another batch right now: retry them in a moment. */
  deferred: Set<string>;
  /** Leader lead id → the index keys it reserved (release them if it is not delivered). */
  reserved: Map<string, string[]>;
  /**
   * Leads whose contact search failed (429, 5xx, timeout): they are retried on their own; the searches already
   * made are kept (indexed), and the rest of the batch goes on.
   */
  searchFailed: Map<string, unknown>;
}

function searchDigits(phone: string): string {
  const d = digitsOf(phone);
  return d.length === 11 && (d.startsWith('7') || d.startsWith('8')) ? d.slice(1) : d;
}

async function searchAmo(amo: AmoClient, lead: LeadRow, opts: RequestOptions): Promise<number | undefined> {
  const phone = lead.phone ?? undefined;
  const email = lead.email ? normaliseEmail(lead.email) : undefined;
  // One request per unknown contact. amoCRM's query is a substring match on the stored text, so search the
  // national tail of a Russian number (matches +7 912…, 8 912…, 7912…) or the digits, else the email; hits are verified.
  const q = phone ? searchDigits(phone) : email;
  if (!q) return undefined;
  const page = await amo.contacts.list({ query: q, limit: 50 }, opts);
  for (const c of page.items) {
    if (phone && fieldValues(c.custom_fields_values, 'PHONE').some((v) => phonesMatch(v, phone))) return c.id;
    if (email && fieldValues(c.custom_fields_values, 'EMAIL').some((v) => normaliseEmail(v) === email)) return c.id;
  }
  return undefined;
}

export interface PlanDeps {
  db: Tx;
  /** The amoCRM account whose contact index is used. */
  account: string;
  amo: AmoClient;
  mode: ContactLookup;
  opts: RequestOptions;
  now: Date;
  staleBefore: Date;
  /** The complete local index (search mode): searches only while it is not complete. */
  sync?: ContactSync | undefined;
}

/** Sorts leads by the index: known contact, deferred (someone else is creating it), or unknown (returned). */
async function classify(deps: Pick<PlanDeps, 'db' | 'account' | 'staleBefore'>, leads: LeadRow[], known: Map<string, number>, deferred: Set<string>): Promise<LeadRow[]> {
  const index = await findContacts(deps.db, deps.account, leads.flatMap(contactKeys), deps.staleBefore);
  const unknown: LeadRow[] = [];
  for (const lead of leads) {
    // A reservation this lead kept after an unknown outcome is its own: it may create the contact (the marker
    // lookup found no deal); anyone else's pending reservation defers the lead.
    const entries = contactKeys(lead)
      .map((k) => index.get(k))
      .filter((x) => x !== undefined && !(x.amoContactId === CONTACT_PENDING && x.source === pendingSource(lead.id)));
    const hit = entries.find((x) => x?.amoContactId !== CONTACT_PENDING);
    if (hit !== undefined) known.set(lead.id, hit.amoContactId);
    else if (entries.length > 0) deferred.add(lead.id); // another batch is creating this contact
    else if (contactKeys(lead).length > 0) unknown.push(lead);
  }
  return unknown;
}

export async function planContacts(
  deps: PlanDeps,
  batch: LeadRow[],
): Promise<ContactPlan> {
  const known = new Map<string, number>();
  const deferred = new Set<string>();
  const searchFailed = new Map<string, unknown>();
  let searches = 0;
  let unknown = await classify(deps, batch, known, deferred);
  let searchAmoCrm = deps.mode === 'search';
  if (searchAmoCrm && deps.sync && unknown.length > 0) {
    // The index is complete: bring it up to the newest capture time of these leads (one catch-up covers all),
    // then a key still unknown has no contact in amoCRM — no search needed.
    try {
      const newest = Math.max(...unknown.map((l) => l.createdAt.getTime()));
      if (await deps.sync.ensureFresh(newest, deps.opts)) searchAmoCrm = false;
      // Not complete yet: what changed lately is read by updated_at (search lags behind it), the rest searched.
      else await deps.sync.scanRecent(newest, deps.opts);
      unknown = await classify(deps, unknown, known, deferred);
    } catch (e) {
      for (const l of unknown) searchFailed.set(l.id, e);
      unknown = [];
    }
  }
  if (searchAmoCrm) {
    const found: { key: string; amoContactId: number; source: string }[] = [];
    const searched = new Map<string, number | undefined>();
    let failure: unknown;
    for (const lead of unknown) {
      const keys = contactKeys(lead);
      const key = keys[0] as string;
      if (!searched.has(key)) {
        if (failure !== undefined) {
          searchFailed.set(lead.id, failure); // do not spend more requests after a 429/5xx: retry with the lead
          continue;
        }
        try {
          searched.set(key, await searchAmo(deps.amo, lead, deps.opts));
          searches++;
        } catch (e) {
          failure = e;
          searchFailed.set(lead.id, e);
          continue;
        }
      }
      const id = searched.get(key);
      if (id !== undefined) {
        known.set(lead.id, id);
        for (const k of keys) found.push({ key: k, amoContactId: id, source: 'search' });
      }
    }
    await upsertContacts(deps.db, deps.account, found);
  }
  // Leads still unknown that share a phone/email: the first creates the contact, the others wait for its id.
  const waitsFor = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const lead of batch) {
    if (known.has(lead.id) || deferred.has(lead.id) || searchFailed.has(lead.id)) continue;
    const keys = contactKeys(lead);
    const leader = keys.map((k) => owner.get(k)).find((x) => x !== undefined);
    if (leader !== undefined) waitsFor.set(lead.id, leader);
    for (const k of keys) if (!owner.has(k)) owner.set(k, leader ?? lead.id);
  }
  // Leaders reserve their keys in the shared index, so concurrent batches (any process) never create a twin.
  const reserved = new Map<string, string[]>();
  const groupKeys = new Map<string, Set<string>>();
  for (const [k, leader] of owner) groupKeys.set(leader, (groupKeys.get(leader) ?? new Set()).add(k));
  const got = await reserveContactKeys(deps.db, deps.account, [...owner].map(([key, leadId]) => ({ key, leadId })), deps.now, deps.staleBefore);
  const giveBack: string[] = [];
  for (const [leader, keySet] of groupKeys) {
    const keys = [...keySet];
    if (keys.every((k) => got.has(k))) {
      reserved.set(leader, keys);
      continue;
    }
    giveBack.push(...keys.filter((k) => got.has(k)));
    deferred.add(leader);
    for (const [follower, l] of waitsFor) if (l === leader) deferred.add(follower);
  }
  await releaseContactKeys(deps.db, deps.account, giveBack);
  for (const id of deferred) waitsFor.delete(id);
  return { known, waitsFor, searches, deferred, reserved, searchFailed };
}
