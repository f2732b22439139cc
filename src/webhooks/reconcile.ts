// Self-repair: read amoCRM's events log since the last cursor, re-read every lead it mentions, and apply what
// the webhooks missed through the same apply function (dedupe and "newer wins" still hold). Also re-enables
// our webhook subscription when amoCRM has disabled it.
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { AmoClient, AmoEvent, Lead } from '../amocrm/index.js';
import { amoSyncCursors, webhookDeliveries, webhookEventKeys, type Database } from '../db/index.js';
import { applyDealObservation, type ApplyContext } from './apply-deal.js';
import { claimEventKey } from './inbox.js';
import { observeAmoEvent, observeLeadSnapshot } from './observations.js';
import type { Tx } from './tx.js';
import type { DealFieldMap, WebhookLogger } from './types.js';

/** Lead event types that can mean a webhook was missed (custom_field_*_value_changed is matched by prefix). */
export const RECONCILE_EVENT_TYPES = [
  'lead_added',
  'lead_status_changed',
  'entity_responsible_changed',
  'sale_field_changed',
  'name_field_changed',
  'lead_deleted',
  'lead_restored',
  'entity_tag_added',
  'entity_tag_deleted',
] as const;

const CURSOR = 'amo_events';

export interface ReconcileDeps {
  db: Database;
  /** The amoCRM account (connection key) reconciled (`'default'` today). */
  account: string;
  amo: AmoClient;
  fieldMap?: DealFieldMap | (() => Promise<DealFieldMap>);
  logger?: WebhookLogger;
  /** Our webhook destination; a disabled subscription to it (or any containing `webhookSecret`) is re-enabled. */
  webhookUrl?: string;
  webhookSecret?: string;
  /** Read events from this unix time instead of the stored cursor (`leadbridge reconcile --since`). */
  since?: number;
  /** First run without a cursor looks back this far (default 24 h). */
  lookbackSec?: number;
  /**
   * Retention, in days: dedupe keys (default 7; amoCRM retries end within ~1.5 h) and processed/duplicate raw
   * deliveries (default 30). Malformed, rejected and failed deliveries are kept for inspection.
   */
  retention?: { keysDays?: number; deliveriesDays?: number };
  /** Safety cap on events read per run (default 5000). */
  maxEvents?: number;
  now?: () => number;
}

export interface ReconcileResult {
  since: number;
  cursor: number;
  events: number;
  leads: number;
  /** Observations that changed local state (each was missing before). */
  repaired: number;
  resubscribed: string[];
}

const relevant = (e: AmoEvent): boolean =>
  e.entity_type === 'lead' &&
  ((RECONCILE_EVENT_TYPES as readonly string[]).includes(e.type) || (e.type.startsWith('custom_field_') && e.type.endsWith('_value_changed')));

async function readCursor(db: Database, account: string): Promise<number | undefined> {
  const [row] = await db.select().from(amoSyncCursors).where(and(eq(amoSyncCursors.account, account), eq(amoSyncCursors.name, CURSOR))).limit(1);
  return row?.cursor;
}

async function writeCursor(tx: Tx, account: string, cursor: number, detail: Record<string, unknown>): Promise<void> {
  await tx
    .insert(amoSyncCursors)
    .values({ account, name: CURSOR, cursor, detail })
    .onConflictDoUpdate({ target: [amoSyncCursors.account, amoSyncCursors.name], set: { cursor, detail, updatedAt: sql`now()` } });
}

export async function reconcileOnce(deps: ReconcileDeps): Promise<ReconcileResult> {
  const nowSec = Math.floor((deps.now ?? Date.now)() / 1000);
  const log = deps.logger;
  const fm = deps.fieldMap;
  const ctx: ApplyContext = { account: deps.account, fieldMap: typeof fm === 'function' ? await fm() : (fm ?? { byKey: {} }) };
  const resubscribed = await resubscribeDisabled(deps);

  const since = deps.since ?? (await readCursor(deps.db, deps.account)) ?? nowSec - (deps.lookbackSec ?? 24 * 3600);
  const events: AmoEvent[] = [];
  // Events are listed newest first; the cursor is inclusive (same-second events are re-read, dedupe skips them).
  for await (const e of deps.amo.events.iterate({ entities: ['lead'], createdAt: { from: since }, limit: 100 })) {
    if (relevant(e)) events.push(e);
    if (events.length >= (deps.maxEvents ?? 5000)) break;
  }
  events.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));

  let repaired = 0;
  const leadIds = new Set<number>();
  for (const e of events) {
    leadIds.add(e.entity_id);
    const obs = observeAmoEvent(e);
    if (!obs) continue;
    await deps.db.transaction(async (tx) => {
      if (!(await claimEventKey(tx, deps.account, `event:${e.id}`, null))) return;
      if ((await applyDealObservation(tx, obs, ctx)).changed) repaired++;
    });
  }
  for (const { id, lead } of await readLeads(deps.amo, [...leadIds])) {
    await deps.db.transaction(async (tx) => {
      const obs = lead
        ? observeLeadSnapshot(lead)
        : { amoLeadId: id, kind: 'delete' as const, at: nowSec, stamped: false, source: 'reconcile' as const };
      if ((await applyDealObservation(tx, obs, ctx)).changed) repaired++;
    });
  }
  await prune(deps.db, deps.account, nowSec, deps.retention);
  const cursor = events.reduce((max, e) => Math.max(max, e.created_at), since);
  await deps.db.transaction(async (tx) => writeCursor(tx, deps.account, cursor, { events: events.length, leads: leadIds.size, repaired }));
  const result = { since, cursor, events: events.length, leads: leadIds.size, repaired, resubscribed };
  if (repaired > 0) log?.warn(result, 'reconciliation repaired state the webhooks missed');
  else log?.info(result, 'reconciliation done');
  return result;
}

/**
 * Current state of the leads, 50 per list call (`filter[id]`); a lead missing from the list (deleted, or the
 * account ignores the filter) is confirmed by GET /leads/{id}: null means it is gone.
 */
async function readLeads(amo: AmoClient, ids: number[]): Promise<{ id: number; lead: Lead | null }[]> {
  const out: { id: number; lead: Lead | null }[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const part = ids.slice(i, i + 50);
    const found = new Map<number, Lead>();
    const page = await amo.leads.list({ filter: { id: part }, with: ['contacts'], limit: 250 });
    for (const l of page.items) if (part.includes(l.id)) found.set(l.id, l);
    for (const id of part) out.push({ id, lead: found.get(id) ?? (await amo.leads.get(id, { with: ['contacts'] })) });
  }
  return out;
}

/** Old dedupe keys and applied raw deliveries of `account`. */
async function prune(db: Database, account: string, nowSec: number, r: ReconcileDeps['retention'] = {}): Promise<void> {
  const keysBefore = new Date((nowSec - (r.keysDays ?? 7) * 86_400) * 1000);
  const deliveriesBefore = new Date((nowSec - (r.deliveriesDays ?? 30) * 86_400) * 1000);
  await db.delete(webhookEventKeys).where(and(eq(webhookEventKeys.account, account), lt(webhookEventKeys.appliedAt, keysBefore)));
  // 0 days = keep raw bodies forever (retention.raw_webhook_days, src/privacy sweeps them too).
  if ((r.deliveriesDays ?? 30) === 0) return;
  await db
    .delete(webhookDeliveries)
    .where(and(eq(webhookDeliveries.account, account), inArray(webhookDeliveries.status, ['processed', 'duplicate']), lt(webhookDeliveries.receivedAt, deliveriesBefore)));
}

/** Re-POSTs (amoCRM upserts by destination, which re-enables) every disabled subscription that is ours. */
async function resubscribeDisabled(deps: ReconcileDeps): Promise<string[]> {
  const ours = (dest: string): boolean =>
    (deps.webhookUrl !== undefined && dest === deps.webhookUrl) || (!!deps.webhookSecret && dest.includes(deps.webhookSecret));
  const done: string[] = [];
  try {
    for (const w of await deps.amo.webhooks.list()) {
      if (!w.disabled || !ours(w.destination)) continue;
      await deps.amo.webhooks.subscribe({ destination: w.destination, settings: w.settings, sort: w.sort });
      done.push(maskSecret(w.destination, deps.webhookSecret));
    }
  } catch (err) {
    deps.logger?.warn({ err }, 'could not check the webhook subscription (needs an admin token)');
  }
  if (done.length) deps.logger?.warn({ destinations: done }, 'amoCRM had disabled the webhook; re-subscribed');
  return done;
}

export function maskSecret(url: string, secret: string | undefined): string {
  return secret ? url.split(secret).join('***') : url;
}
