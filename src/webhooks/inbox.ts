// The raw inbox (webhook_deliveries): insert on receipt; claim pending rows for processing.
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { webhookDeliveries, webhookEventKeys, type WebhookDeliveryRow, type WebhookDeliveryStatus } from '../db/index.js';
import type { Tx } from './tx.js';

export interface NewDelivery {
  status: WebhookDeliveryStatus;
  contentType: string | null;
  body: string;
  accountId?: number | null;
  subdomain?: string | null;
  errorCode?: string | null;
  error?: string | null;
  eventCount?: number | null;
  /** When it was received (default: the insert's now()); a journaled delivery keeps its receipt time. */
  receivedAt?: Date;
  /** Its receive-journal entry (journal.ts): a second insert with the same key is skipped. */
  journalKey?: string | null;
}

export const hashBody = (body: string): string => createHash('sha256').update(body, 'utf8').digest('hex');

/** The stored row of a delivery received for `account` (the raw body with its hash for whole-body dedupe). */
export function deliveryValues(account: string, d: NewDelivery) {
  return {
    account,
    status: d.status,
    contentType: d.contentType,
    body: d.body,
    bodyHash: hashBody(d.body),
    accountId: d.accountId ?? null,
    subdomain: d.subdomain ?? null,
    errorCode: d.errorCode ?? null,
    error: d.error ?? null,
    eventCount: d.eventCount ?? null,
    journalKey: d.journalKey ?? null,
    ...(d.receivedAt ? { receivedAt: d.receivedAt } : {}),
  };
}

export async function insertDelivery(tx: Tx, account: string, d: NewDelivery): Promise<number> {
  const [row] = await tx.insert(webhookDeliveries).values(deliveryValues(account, d)).returning({ id: webhookDeliveries.id });
  if (!row) throw new Error('webhook delivery insert returned no row');
  return row.id;
}

/** Pending deliveries of `account`, oldest first, locked for this transaction (other instances skip them). */
export async function claimPending(tx: Tx, account: string, limit: number): Promise<WebhookDeliveryRow[]> {
  return tx
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.account, account), eq(webhookDeliveries.status, 'pending')))
    .orderBy(asc(webhookDeliveries.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** Body hashes among `hashes` that an earlier delivery of `account` already had processed. */
export async function processedBodyHashes(tx: Tx, account: string, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await tx
    .selectDistinct({ h: webhookDeliveries.bodyHash })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.account, account), inArray(webhookDeliveries.bodyHash, hashes), eq(webhookDeliveries.status, 'processed')));
  return new Set(rows.map((r) => r.h));
}

/**
 * An error text fit for the `error` column: a query error's values cut off (they are the payload's data and may
 * hold what the column cannot store, such as U+0000), and the length bounded.
 */
export function storableError(message: string): string {
  return message.replace(/\nparams: [\s\S]*$/, '').replaceAll('\u0000', '').slice(0, 2000);
}

export async function finishDelivery(
  tx: Tx,
  id: number,
  v: { status: WebhookDeliveryStatus; eventCount?: number; appliedCount?: number; errorCode?: string; error?: string },
): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({
      status: v.status,
      processedAt: new Date(),
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      ...(v.eventCount !== undefined ? { eventCount: v.eventCount } : {}),
      ...(v.appliedCount !== undefined ? { appliedCount: v.appliedCount } : {}),
      ...(v.errorCode !== undefined ? { errorCode: v.errorCode } : {}),
      ...(v.error !== undefined ? { error: storableError(v.error) } : {}),
    })
    .where(eq(webhookDeliveries.id, id));
}

/** Marks many deliveries processed in one statement. */
export async function finishProcessed(tx: Tx, rows: { id: number; eventCount: number; appliedCount: number }[]): Promise<void> {
  if (rows.length === 0) return;
  const ids = `{${rows.map((r) => r.id).join(',')}}`;
  const events = `{${rows.map((r) => r.eventCount).join(',')}}`;
  const applied = `{${rows.map((r) => r.appliedCount).join(',')}}`;
  await tx.execute(sql`
    update ${webhookDeliveries} d
    set status = 'processed', processed_at = now(), attempts = d.attempts + 1, event_count = v.ev, applied_count = v.ap
    from (select unnest(${ids}::bigint[]) as id, unnest(${events}::int[]) as ev, unnest(${applied}::int[]) as ap) v
    where d.id = v.id`);
}

/** Claims a dedupe key of `account`; false when it was already applied. */
export async function claimEventKey(tx: Tx, account: string, key: string, deliveryId: number | null): Promise<boolean> {
  return (await claimEventKeys(tx, account, [key], deliveryId)).has(key);
}

/** Claims dedupe keys of `account` in one statement; returns the keys that were new (not applied before). */
export async function claimEventKeys(tx: Tx, account: string, keys: string[], deliveryId: number | null): Promise<Set<string>> {
  return claimEventKeysOf(tx, account, new Map(keys.map((k) => [k, deliveryId])));
}

/** Claims every key of `owners` (key → the delivery applying it) in one statement; returns the keys that were new. */
export async function claimEventKeysOf(tx: Tx, account: string, owners: ReadonlyMap<string, number | null>): Promise<Set<string>> {
  if (owners.size === 0) return new Set();
  // Sorted: two batches claiming overlapping keys lock them in the same order (one waits, neither deadlocks).
  const keys = [...owners.keys()].sort();
  const rows = await tx
    .insert(webhookEventKeys)
    .values(keys.map((key) => ({ account, key, deliveryId: owners.get(key) ?? null })))
    .onConflictDoNothing()
    .returning({ key: webhookEventKeys.key });
  return new Set(rows.map((r) => r.key));
}

export async function getDelivery(tx: Tx, id: number): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).limit(1);
  return row;
}
