// One claimed batch → amoCRM: look up unknown outcomes, plan contacts, send /leads/complex in rounds (followers
// wait for their leader's new contact; validation-rejected items are split out and the rest resent), record.
import { AmoValidationError, complexResultsByRequestId, type AmoClient, type ComplexLeadInput, type ComplexResultItem, type RequestOptions } from '../amocrm/index.js';
import type { Config, FormConfig } from '../config/index.js';
import type { Database, LeadRow } from '../db/index.js';
import type { ResolvedMap } from '../provision/index.js';
import { BuildError, buildComplexItem, contactKeys, defaultForm, noteText, type Marker } from './build.js';
import { backoffMs, classifyError, type BackoffPolicy, type Classified } from './classify.js';
import type { ContactSync } from './contact-sync.js';
import { planContacts, type ContactLookup } from './contacts.js';
import { describeFailedFields, failedFields } from './field-errors.js';
import { findDeliveredDeals } from './lookup.js';
import type { DeliveryMetrics } from './metrics.js';
import { clearNeedsLookup, indexContacts, recordDelivered, recordFailures, releaseContactKeys, takeCursor, type ClaimedLead, type DeliveredRow, type FailureRow } from './sql.js';

export interface BatchContext {
  db: Database;
  /** The amoCRM account the batch is delivered to (its contact index). */
  account: string;
  amo: AmoClient;
  config: Pick<Config, 'forms' | 'routing' | 'delivery'> & Partial<Pick<Config, 'notes' | 'account'>>;
  resolved: ResolvedMap | undefined;
  marker: Marker;
  mode: ContactLookup;
  /** `search` mode: the local contact index and its catch-ups (no search per new contact once complete). */
  contactSync?: ContactSync | undefined;
  workerId: string;
  now: () => number;
  random: () => number;
  backoff: BackoffPolicy;
  /** A contact reservation older than this belongs to a dead worker (the claim timeout). */
  contactReserveMs: number;
  /** Cap on how long a hold (reconnect, circuit, payment) defers a lead. */
  maxHoldMs: number;
  metrics?: DeliveryMetrics | undefined;
  /** Options for every amoCRM call of this batch (timeout, the claim-deadline signal). */
  requestOpts: RequestOptions;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined;
  /** Routing: the responsible user (and the note line) per lead; absent = amoCRM assigns the token's user. */
  route?: RouteLeads | undefined;
}

/** Asks routing for each lead's manager (contactIds: leads whose amoCRM contact is known already). */
export type RouteLeads = (leads: LeadRow[], ctx: { contactIds: Map<string, number>; opts: RequestOptions }) => Promise<Map<string, { userId: number | null; note: string }>>;

export interface BatchOutcome {
  delivered: number;
  failed: number;
  held: number;
  notes: number;
  /** A hold error: the worker should pause claiming until then (epoch ms). */
  holdUntil?: number;
  holdReason?: string;
}

const MAX_ROUNDS = 6;

export async function deliverBatch(ctx: BatchContext, claimed: ClaimedLead[]): Promise<BatchOutcome> {
  const batch = claimed.map((c) => c.row);
  const now = () => new Date(ctx.now());
  const out: BatchOutcome = { delivered: 0, failed: 0, held: 0, notes: 0 };
  const delivered: DeliveredRow[] = [];
  const failures: FailureRow[] = [];
  const routeNotes = new Map<string, string>();
  /** Leads whose send may have created their deal (and contact): their contact reservations are kept. */
  const unknownOutcome = new Set<string>();
  const formOf = (l: LeadRow): FormConfig => ctx.config.forms[l.formKey] ?? defaultForm(l.formKey);
  const deliveredRow = (lead: LeadRow, r: { amoLeadId: number; amoContactId: number | null }, event: Record<string, unknown>, extra: Partial<DeliveredRow> = {}): DeliveredRow => {
    const form = formOf(lead);
    return {
      leadId: lead.id,
      amoLeadId: r.amoLeadId,
      amoContactId: r.amoContactId,
      responsibleUserId: lead.responsibleUserId,
      event: { amo_lead_id: r.amoLeadId, amo_contact_id: r.amoContactId, ...event },
      ...(form.note ? { note: [noteText(lead, form, ctx.config.notes), ...(routeNotes.has(lead.id) ? [routeNotes.get(lead.id)] : [])].join('\n') } : {}),
      ...extra,
    };
  };
  const fail = (lead: LeadRow, c: Classified, sent: boolean, extra: Record<string, unknown> = {}): void => {
    const attempt = lead.attempts + 1;
    const detail = { kind: c.kind, reason: c.reason, ...(c.status ? { status: c.status } : {}), message: c.message.slice(0, 500), ...extra };
    const needsLookup = sent && c.unknownOutcome;
    if (needsLookup) unknownOutcome.add(lead.id);
    if (c.kind === 'hold') {
      const at = new Date(ctx.now() + holdMs(c));
      failures.push({ leadId: lead.id, status: 'held', nextAttemptAt: at, countAttempt: false, lastError: detail, needsLookup, events: [{ type: 'held', detail: { ...detail, until: at.toISOString() } }] });
      out.held++;
      return;
    }
    ctx.metrics?.failed.inc({ kind: c.kind, reason: c.reason });
    out.failed++;
    if (c.kind === 'permanent' || attempt >= ctx.config.delivery.maxAttempts) {
      // A person must act (fix the cause, replay): which lead and why, at warn — never its personal data.
      const status = c.kind === 'permanent' ? 'failed' : 'dead';
      ctx.log?.warn(
        { leadId: lead.id, form: lead.formKey, status, reason: c.reason, attempt, ...(extra.fields ? { fields: extra.fields } : {}) },
        `lead ${status === 'failed' ? 'failed' : 'dead after its last attempt'}: ${c.message.slice(0, 300)} (fix it, then POST /api/admin/leads/${lead.id}/replay)`,
      );
    }
    if (c.kind === 'permanent') {
      failures.push({ leadId: lead.id, status: 'failed', nextAttemptAt: now(), countAttempt: true, lastError: detail, events: [{ type: 'attempt_failed', detail: { ...detail, attempt } }, { type: 'failed', detail: { reason: c.reason } }] });
      return;
    }
    if (attempt >= ctx.config.delivery.maxAttempts) {
      ctx.metrics?.dead.inc();
      failures.push({ leadId: lead.id, status: 'dead', nextAttemptAt: now(), countAttempt: true, lastError: detail, needsLookup, events: [{ type: 'attempt_failed', detail: { ...detail, attempt } }, { type: 'dead', detail: { attempts: attempt } }] });
      return;
    }
    const delay = backoffMs(attempt, ctx.backoff, ctx.random, c.retryAfterMs ?? 0);
    const at = new Date(ctx.now() + delay);
    failures.push({ leadId: lead.id, status: 'pending', nextAttemptAt: at, countAttempt: true, lastError: detail, needsLookup, events: [{ type: 'attempt_failed', detail: { ...detail, attempt, next_attempt_at: at.toISOString() } }] });
  };
  const holdMs = (c: Classified) => Math.min(ctx.maxHoldMs, c.retryAfterMs ?? 60_000);
  const noteHold = (c: Classified) => {
    if (c.kind !== 'hold') return;
    out.holdUntil = ctx.now() + holdMs(c);
    out.holdReason = c.reason;
    ctx.metrics?.held.inc({ reason: c.reason });
  };

  // 1. Unknown outcomes first: the deal may exist already. One scan for the whole batch (not amoCRM's lagging
  // search); a recovered deal's contact is indexed at once, so the next lead of that person links to it.
  let queue: LeadRow[] = [];
  const toLookUp = claimed.filter((c) => c.needsLookup);
  for (const c of claimed) if (!c.needsLookup) queue.push(c.row);
  if (toLookUp.length > 0) {
    try {
      const r = await findDeliveredDeals(ctx.amo, toLookUp.map((c) => ({ leadId: c.row.id, since: c.firstSentAt })), ctx.marker, ctx.requestOpts, ctx.now());
      ctx.metrics?.requests.inc({ call: 'lookup' }, r.calls);
      const absent: string[] = [];
      const recovered: { key: string; amoContactId: number; source: string }[] = [];
      for (const { row: lead } of toLookUp) {
        const found = r.found.get(lead.id);
        if (found) {
          delivered.push(deliveredRow(lead, found, { recovered: true }, { contactKeys: contactKeys(lead), contactSource: 'lookup' }));
          if (found.amoContactId !== null) for (const key of contactKeys(lead)) recovered.push({ key, amoContactId: found.amoContactId, source: 'lookup' });
        } else if (r.complete) {
          absent.push(lead.id);
          queue.push(lead); // provably not there: safe to create
        } else {
          fail(lead, { kind: 'transient', reason: 'lookup_incomplete', unknownOutcome: true, message: `no deal found in ${r.calls} pages; looking again later` }, true, { during: 'lookup' });
        }
      }
      await indexContacts(ctx.db, ctx.account, recovered, now());
      // Not there: the next attempts (e.g. a deferred lead) send without looking up again.
      await clearNeedsLookup(ctx.db, absent);
    } catch (e) {
      const c = classifyError(e, ctx.now());
      noteHold(c);
      for (const { row: lead } of toLookUp) fail(lead, c, true, { during: 'lookup' }); // keep needs_lookup: we still do not know
    }
  }

  // 2. Items that cannot be built (config not resolved) fail at once; the rest get a responsible user.
  const items = new Map<string, { lead: LeadRow; form: FormConfig }>();
  for (const lead of queue) items.set(lead.id, { lead, form: formOf(lead) });

  // 3. Contacts, then rounds of /leads/complex.
  let plan: Awaited<ReturnType<typeof planContacts>> | undefined;
  if (queue.length > 0 && out.holdUntil === undefined) {
    try {
      plan = await planContacts(
        { db: ctx.db, account: ctx.account, amo: ctx.amo, mode: ctx.mode, sync: ctx.contactSync, opts: ctx.requestOpts, now: now(), staleBefore: new Date(ctx.now() - ctx.contactReserveMs) },
        queue,
      );
      if (plan.deferred.size > 0) {
        // Their contact is being created by another batch: back to pending for a moment, no attempt spent.
        const retryAt = new Date(ctx.now() + 300 + Math.floor(ctx.random() * 400));
        for (const lead of queue.filter((l) => plan?.deferred.has(l.id))) {
          failures.push({ leadId: lead.id, status: 'pending', nextAttemptAt: retryAt, countAttempt: false, lastError: lead.lastError, events: [] });
        }
        queue = queue.filter((l) => !plan?.deferred.has(l.id));
      }
      if (plan.searches > 0) ctx.metrics?.requests.inc({ call: 'search' }, plan.searches);
      if (plan.searchFailed.size > 0) {
        // One 429/5xx during the searches fails only the leads not yet searched; the others go on.
        for (const lead of queue.filter((l) => plan?.searchFailed.has(l.id))) {
          const c = classifyError(plan.searchFailed.get(lead.id), ctx.now());
          noteHold(c);
          fail(lead, c, false, { during: 'contact_search' });
        }
        queue = queue.filter((l) => !plan?.searchFailed.has(l.id));
      }
    } catch (e) {
      const c = classifyError(e, ctx.now());
      noteHold(c);
      for (const lead of queue) fail(lead, c, false, { during: 'contact_search' });
      queue = [];
    }
  } else if (out.holdUntil !== undefined) {
    // A lookup hit a hold: do not spend requests on the rest of the batch.
    const c: Classified = { kind: 'hold', reason: out.holdReason ?? 'hold', unknownOutcome: false, message: 'held with its batch', retryAfterMs: out.holdUntil - ctx.now() };
    for (const lead of queue) fail(lead, c, false);
    queue = [];
  }
  const known = plan?.known ?? new Map<string, number>();
  // 3b. Managers: routing decides per lead and records why (a retried lead keeps its first decision).
  if (ctx.route && queue.length > 0) {
    try {
      // Leads recovered by lookup were routed before their deal was made: their first decision comes back.
      const recovered = batch.filter((l) => l.responsibleUserId === null && delivered.some((d) => d.leadId === l.id));
      const routed = await ctx.route([...queue.filter((l) => l.responsibleUserId === null), ...recovered], { contactIds: known, opts: ctx.requestOpts });
      for (const [id, r] of routed) {
        const lead = queue.find((l) => l.id === id);
        if (lead) lead.responsibleUserId = r.userId;
        const d = delivered.find((x) => x.leadId === id);
        if (d && d.responsibleUserId === null) d.responsibleUserId = r.userId;
        routeNotes.set(id, r.note);
      }
    } catch (e) {
      const c = classifyError(e, ctx.now());
      noteHold(c);
      for (const lead of queue) fail(lead, c, false, { during: 'routing' });
      queue = [];
    }
  }
  const newContact = new Map<string, number>(); // leader lead id → created contact id
  const waitsFor = plan?.waitsFor ?? new Map<string, string>();

  for (let round = 0; queue.length > 0 && round < MAX_ROUNDS; round++) {
    const sendable: { lead: LeadRow; item: ComplexLeadInput; linked: boolean }[] = [];
    const waiting: LeadRow[] = [];
    for (const lead of queue) {
      const leader = waitsFor.get(lead.id);
      let contactId = known.get(lead.id);
      if (contactId === undefined && leader !== undefined) {
        contactId = newContact.get(leader);
        if (contactId === undefined && queue.some((l) => l.id === leader)) {
          waiting.push(lead);
          continue;
        }
        if (contactId === undefined) {
          // The leader failed: retry in a moment (it will reserve the contact itself), no attempt spent.
          failures.push({ leadId: lead.id, status: 'pending', nextAttemptAt: new Date(ctx.now() + 500), countAttempt: false, lastError: lead.lastError, events: [] });
          continue;
        }
      }
      const entry = items.get(lead.id);
      if (!entry) continue;
      try {
        const item = buildComplexItem({ lead, form: entry.form, resolved: ctx.resolved, marker: ctx.marker, responsibleUserId: lead.responsibleUserId ?? undefined, contactId });
        sendable.push({ lead, item, linked: contactId !== undefined });
      } catch (e) {
        if (!(e instanceof BuildError)) throw e;
        fail(lead, { kind: 'permanent', reason: 'config', unknownOutcome: false, message: e.message }, false);
      }
    }
    if (sendable.length === 0) {
      // Their leader failed: retry them in a moment (they will reserve the contact themselves), no attempt spent.
      for (const l of waiting) failures.push({ leadId: l.id, status: 'pending', nextAttemptAt: new Date(ctx.now() + 500), countAttempt: false, lastError: l.lastError, events: [] });
      queue = [];
      break;
    }
    let results: Map<string, ComplexResultItem>;
    try {
      ctx.metrics?.requests.inc({ call: 'complex' });
      results = complexResultsByRequestId(await ctx.amo.leads.createComplex(sendable.map((s) => s.item), ctx.requestOpts));
    } catch (e) {
      const c = classifyError(e, ctx.now());
      if (e instanceof AmoValidationError) {
        const ids = new Set(sendable.map((s) => s.lead.id));
        const bad = e.validationErrors.filter((v) => ids.has(v.requestId));
        if (bad.length > 0) {
          const badIds = new Set(bad.map((b) => b.requestId));
          for (const b of bad) {
            const sent = sendable.find((s) => s.lead.id === b.requestId);
            if (!sent) continue;
            // amoCRM names an index into the request (custom_fields_values.1.field_id): name the field instead.
            const fields = failedFields(sent.item, b.errors, ctx.resolved, ctx.config.account);
            const named: Classified =
              fields.length > 0
                ? { ...c, message: `${describeFailedFields(fields)} — was the field changed or deleted in amoCRM? Run leadbridge doctor, then leadbridge setup (amoCRM: ${c.message.slice(0, 200)})` }
                : c;
            fail(sent.lead, named, false, { errors: b.errors.map((x) => ({ code: x.code, path: x.path })), ...(fields.length > 0 ? { fields } : {}) });
          }
          // Nothing was created: resend the others (and the waiting followers) next round.
          queue = [...sendable.filter((s) => !badIds.has(s.lead.id)).map((s) => s.lead), ...waiting];
          continue;
        }
      }
      noteHold(c);
      for (const s of sendable) fail(s.lead, c, true);
      for (const l of waiting) fail(l, { ...c, kind: c.kind === 'permanent' ? 'transient' : c.kind }, false, { during: 'waiting_for_contact' });
      queue = [];
      break;
    }
    for (const s of sendable) {
      const r = results.get(s.lead.id);
      if (!r) {
        // amoCRM answered without this item: treat as an unknown outcome.
        fail(s.lead, { kind: 'transient', reason: 'missing_result', unknownOutcome: true, message: 'no result for this request_id' }, true);
        continue;
      }
      if (!s.linked && r.contact_id !== null) newContact.set(s.lead.id, r.contact_id);
      delivered.push(
        deliveredRow(s.lead, { amoLeadId: r.id, amoContactId: r.contact_id }, { contact: s.linked ? 'linked' : 'created', ...(r.merged ? { merged: true } : {}), round }, {
          contactKeys: contactKeys(s.lead),
          contactSource: s.linked ? 'linked' : 'created',
        }),
      );
      ctx.metrics?.delivered.inc({ mode: formOf(s.lead).mode, contact: s.linked ? 'linked' : 'created' });
    }
    queue = waiting;
  }
  for (const lead of queue) fail(lead, { kind: 'transient', reason: 'rounds_exhausted', unknownOutcome: false, message: 'contact dependency not resolved' }, false);

  const at = now();
  const recorded = await recordDelivered(ctx.db, ctx.workerId, delivered, at);
  // Reservations of leaders that did not deliver a new contact go back (delivered ones were overwritten) — except
  // after an unknown outcome: amoCRM may have created the contact, so the reservation stays with the leader until its
  // marker lookup recovers the deal (and indexes the contact) or proves there is none (then the leader creates it).
  const gotContact = new Set(delivered.filter((d) => d.amoContactId !== null).map((d) => d.leadId));
  const unused = [...(plan?.reserved ?? new Map<string, string[]>())]
    .filter(([leader]) => !gotContact.has(leader) && !unknownOutcome.has(leader))
    .flatMap(([, keys]) => keys);
  await releaseContactKeys(ctx.db, ctx.account, unused);
  await recordFailures(ctx.db, ctx.workerId, failures, at);
  const mine = new Set(recorded);
  for (const d of delivered) {
    if (!mine.has(d.leadId)) continue;
    const lead = batch.find((l) => l.id === d.leadId);
    if (lead) ctx.metrics?.submitToDeal.observe((at.getTime() - lead.createdAt.getTime()) / 1000);
    if (d.note !== undefined) out.notes++;
  }
  if (recorded.length < delivered.length) {
    ctx.log?.warn({ lost: delivered.length - recorded.length }, 'delivered leads whose claim had expired (another worker will find them by marker)');
  }
  out.delivered = recorded.length;
  return out;
}
