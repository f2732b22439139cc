// amoCRM ids are unique only within an account: the same deal or contact id observed for two accounts is two rows,
// each with its own stage history, dedupe keys, lead link, domain events and webhook inbox. (One account per install
// is still the only mode; this pins that the keys are right.)
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWebhookBody } from '../amocrm/webhooks/index.js';
import { amoContacts, amoDeals, domainEvents, leads, webhookDeliveries } from '../db/index.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { applyContact } from './apply-contact.js';
import { applyDealObservation } from './apply-deal.js';
import { ApplyState } from './apply-state.js';
import { dealView } from './deal-view.js';
import { mappedNumber } from './fields.js';
import { claimEventKeys } from './inbox.js';
import { createInboxWriter } from './inbox-writer.js';
import { createWebhookProcessor } from './processor.js';
import { syncedDealOfLead } from './reads.js';

const T0 = 1_700_000_000;
const fieldMap = { byKey: { object_cost: 501 } };
let tdb: TestDb;

beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb?.cleanup();
});

describe('per-account keys', () => {
  it('keeps deal 42 of account a and deal 42 of account b apart', async () => {
    const lead = '00000000-0000-4000-8000-0000000000b1';
    await tdb.db.insert(leads).values({ id: lead, account: 'b', formKey: 'f', status: 'delivered', amoLeadId: 42 });
    await tdb.db.transaction(async (tx) => {
      const base = { amoLeadId: 42, kind: 'add' as const, at: T0, stamped: true, source: 'webhook' as const, createdAt: T0 };
      await applyDealObservation(tx, { ...base, pipelineId: 1, statusId: 10, customFields: [{ id: 501, values: [{ value: '100' }] }] }, { account: 'a', fieldMap });
      await applyDealObservation(tx, { ...base, pipelineId: 2, statusId: 20, customFields: [{ id: 501, values: [{ value: '200' }] }] }, { account: 'b', fieldMap });
      await applyDealObservation(tx, { ...base, kind: 'status', at: T0 + 60, pipelineId: 1, statusId: 11 }, { account: 'a', fieldMap });
    });
    const rows = await tdb.db.select().from(amoDeals).where(eq(amoDeals.amoLeadId, 42)).orderBy(amoDeals.account);
    expect(rows.map((r) => [r.account, r.pipelineId, r.statusId, mappedNumber(r.fields, 'object_cost'), r.leadId])).toEqual([
      ['a', 1, 11, 100, null],
      ['b', 2, 20, 200, lead],
    ]);
    expect((await dealView(tdb.db, 'a', 42))?.stages.map((s) => s.status_id)).toEqual([10, 11]);
    expect((await dealView(tdb.db, 'b', 42))?.stages.map((s) => s.status_id)).toEqual([20]);
    expect(await syncedDealOfLead(tdb.db, 'b', lead)).toMatchObject({ amoLeadId: 42, statusId: 20, stagesSeen: 1 });
    expect(await syncedDealOfLead(tdb.db, 'a', lead)).toBeNull();
    const events = await tdb.db.select({ account: domainEvents.account, type: domainEvents.type }).from(domainEvents).where(eq(domainEvents.amoLeadId, 42)).orderBy(domainEvents.id);
    expect(events).toEqual([
      { account: 'a', type: 'deal.created' },
      { account: 'b', type: 'deal.created' },
      { account: 'a', type: 'deal.stage_changed' },
    ]);
  });

  it('keeps contacts and dedupe keys per account', async () => {
    await tdb.db.transaction(async (tx) => {
      const o = { amoContactId: 7, kind: 'contact' as const, action: 'add' as const, at: T0 };
      const a = await ApplyState.load(tx, 'a', [], [7]);
      applyContact(a, { ...o, name: 'A' });
      await a.flush(tx);
      const b = await ApplyState.load(tx, 'b', [], [7]);
      applyContact(b, { ...o, name: 'B' });
      applyContact(b, { ...o, action: 'delete', at: T0 + 1 });
      await b.flush(tx);
    });
    const contact = async (account: string) =>
      (await tdb.db.select().from(amoContacts).where(and(eq(amoContacts.account, account), eq(amoContacts.amoContactId, 7))))[0];
    expect(await contact('a')).toMatchObject({ name: 'A', isDeleted: false });
    expect(await contact('b')).toMatchObject({ name: 'B', isDeleted: true });
    const fresh = await tdb.db.transaction(async (tx) => [
      await claimEventKeys(tx, 'a', ['event:1'], null),
      await claimEventKeys(tx, 'b', ['event:1'], null),
      await claimEventKeys(tx, 'a', ['event:1'], null),
    ]);
    expect(fresh.map((s) => [...s])).toEqual([['event:1'], ['event:1'], []]);
  });

  it("keeps each account's webhook inbox apart: a processor applies only its own account's deliveries", async () => {
    const hook = (statusId: number) =>
      encodeWebhookBody([{ key: 'leads', action: 'status', fields: { id: 77, status_id: statusId, pipeline_id: 1, updated_at: T0, last_modified: T0 } }], { id: 1, subdomain: 's', self: 'https://s.amocrm.ru' });
    // The same body for both: the whole-body dedupe is per account too.
    const body = hook(10);
    for (const account of ['a', 'b']) {
      await createInboxWriter(tdb.db, account).write({ status: 'pending', contentType: 'application/x-www-form-urlencoded', body });
    }
    const inbox = async () =>
      (await tdb.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.body, body)).orderBy(webhookDeliveries.account)).map((d) => [d.account, d.status]);
    const deal77 = async () => (await tdb.db.select().from(amoDeals).where(eq(amoDeals.amoLeadId, 77))).map((d) => d.account);

    expect(await createWebhookProcessor({ db: tdb.db, account: 'a' }).drain()).toBe(1);
    expect(await inbox()).toEqual([['a', 'processed'], ['b', 'pending']]);
    expect(await deal77()).toEqual(['a']);
    expect(await createWebhookProcessor({ db: tdb.db, account: 'b' }).drain()).toBe(1);
    expect(await inbox()).toEqual([['a', 'processed'], ['b', 'processed']]);
    expect((await deal77()).sort()).toEqual(['a', 'b']);
  });
});
