import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { leadEvents, leads } from '../db/index.js';
import { toBatchLead } from './capture-lead.js';
import { createLeadWriter, LeadStoreError, writeLeads } from './lead-writer.js';
import type { LeadInput } from './validate.js';

let tdb: TestDb;

beforeAll(async () => {
  tdb = await createTestDb();
});

afterAll(async () => {
  await tdb?.cleanup();
});

function input(over: Partial<LeadInput> = {}): LeadInput {
  return { formKey: 'default', email: 'lead@example.ru', extra: {}, raw: {}, attribution: { utm_source: 'google' }, spam: false, ...over };
}

async function eventsOf(ids: string[]) {
  return tdb.db.select().from(leadEvents).where(inArray(leadEvents.leadId, ids));
}

describe('writeLeads (one statement per batch)', () => {
  it('stores every lead of a batch with exactly one first event each', async () => {
    const batch = Array.from({ length: 5 }, (_, i) =>
      toBatchLead(input({ idempotencyKey: `batch-${i}`, spam: i === 4 }), { requestId: `r${i}`, ip: '10.0.0.1' }),
    );
    const results = await writeLeads(tdb.db, batch);
    expect(results.every((r) => r.ok && r.value.created)).toBe(true);
    const ids = batch.map((b) => b.row.id);
    const rows = await tdb.db.select().from(leads).where(inArray(leads.id, ids));
    expect(rows).toHaveLength(5);
    expect(rows.find((r) => r.id === ids[4])?.status).toBe('spam');
    const events = await eventsOf(ids);
    expect(events.map((e) => `${e.leadId}:${e.type}`).sort()).toEqual(
      ids.map((id, i) => `${id}:${i === 4 ? 'spam' : 'received'}`).sort(),
    );
    expect(events.find((e) => e.leadId === ids[0])?.detail).toEqual({ form: 'default', request_id: 'r0' });
  });

  it('returns the committed row for a key that already exists, and writes nothing', async () => {
    const [first] = await writeLeads(tdb.db, [toBatchLead(input({ idempotencyKey: 'again-1' }), {})]);
    const [second] = await writeLeads(tdb.db, [toBatchLead(input({ idempotencyKey: 'again-1', name: 'Other' }), {})]);
    expect(first?.ok && second?.ok).toBe(true);
    if (!first?.ok || !second?.ok) return;
    expect(second.value.created).toBe(false);
    expect(second.value.lead.id).toBe(first.value.lead.id);
    expect(second.value.lead.name).toBeNull();
    expect(await eventsOf([first.value.lead.id])).toHaveLength(1);
  });

  it('never merges leads without an idempotency key', async () => {
    const results = await writeLeads(tdb.db, [toBatchLead(input(), {}), toBatchLead(input(), {})]);
    const ids = results.map((r) => (r.ok && r.value.created ? r.value.lead.id : 'not created'));
    expect(new Set(ids).size).toBe(2);
    expect(ids).not.toContain('not created');
  });

  it('answers every lead when two concurrent batches share keys in opposite order', async () => {
    const lead = (key: string) => toBatchLead(input({ idempotencyKey: key }), {});
    const [a, b] = await Promise.all([
      writeLeads(tdb.db, [lead('cross-1'), lead('cross-2')]),
      writeLeads(tdb.db, [lead('cross-2'), lead('cross-1')]),
    ]);
    const all = [...(a ?? []), ...(b ?? [])];
    expect(all.every((r) => r.ok)).toBe(true);
    expect(all.filter((r) => r.ok && r.value.created)).toHaveLength(2);
    const rows = await tdb.db.select().from(leads).where(inArray(leads.idempotencyKey, ['cross-1', 'cross-2']));
    expect(rows).toHaveLength(2);
  });

  it('fails only the lead the database rejects, without its data in the error', async () => {
    const bad = toBatchLead(input({ idempotencyKey: 'poison', raw: { note: 'nul\u0000byte' }, email: 'secret-person@example.ru' }), {});
    const good = [toBatchLead(input({ idempotencyKey: 'fine-1' }), {}), toBatchLead(input({ idempotencyKey: 'fine-2' }), {})];
    const results = await writeLeads(tdb.db, [good[0]!, bad, good[1]!]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1];
    if (failed?.ok !== false) throw new Error('expected a failure');
    expect(failed.error).toBeInstanceOf(LeadStoreError);
    expect(JSON.stringify({ m: failed.error.message, c: String(failed.error.cause) })).not.toContain('secret-person');
    expect(await tdb.db.select().from(leads).where(eq(leads.id, bad.row.id))).toHaveLength(0);
  });
});

describe('createLeadWriter (group commit)', () => {
  it('answers every concurrent submission after a shared commit, in fewer statements than leads', async () => {
    const writer = createLeadWriter(tdb.db, { maxBatch: 10, maxInFlight: 1 });
    const batch = Array.from({ length: 25 }, (_, i) => toBatchLead(input({ idempotencyKey: `gc-${i}` }), {}));
    const stored = await Promise.all(batch.map((b) => writer.write(b)));
    expect(stored.every((s) => s.created)).toBe(true);
    expect(stored.map((s) => s.lead.id)).toEqual(batch.map((b) => b.row.id));
    const rows = await tdb.db.select({ id: leads.id, createdAt: leads.createdAt }).from(leads).where(inArray(leads.id, batch.map((b) => b.row.id)));
    expect(rows).toHaveLength(25);
    // Leads that shared a statement share its transaction time: at most ceil(25 / 10) + 1 distinct commits.
    expect(new Set(rows.map((r) => r.createdAt.getTime())).size).toBeLessThanOrEqual(4);
  });

  it('stores one lead for concurrent resubmits with one key (duplicates inside one batch)', async () => {
    const writer = createLeadWriter(tdb.db);
    const stored = await Promise.all(
      Array.from({ length: 6 }, () => writer.write(toBatchLead(input({ idempotencyKey: 'same-batch' }), {}))),
    );
    expect(stored.filter((s) => s.created)).toHaveLength(1);
    expect(new Set(stored.map((s) => s.lead.id)).size).toBe(1);
    const rows = await tdb.db.select().from(leads).where(eq(leads.idempotencyKey, 'same-batch'));
    expect(rows).toHaveLength(1);
    expect(await eventsOf([rows[0]!.id])).toHaveLength(1);
  });

  it('rejects only the failing submission', async () => {
    const writer = createLeadWriter(tdb.db);
    const ok = writer.write(toBatchLead(input({ idempotencyKey: 'w-ok' }), {}));
    const bad = writer.write(toBatchLead(input({ raw: { x: '\u0000' } }), {}));
    await expect(bad).rejects.toBeInstanceOf(LeadStoreError);
    await expect(ok).resolves.toMatchObject({ created: true });
  });
});
