// A batch applies its deliveries in memory and writes the result in a few statements (ApplyState). It must end
// exactly where applying the same deliveries one transaction each ends: same deals, contacts, stage history,
// domain events in the same order, same delivery outcomes. Seeded random streams: few deals, so one batch holds many
// observations of each deal — out of order, repeated, deleted and restored, late stages, linked leads, contacts.
import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { mulberry32 } from '../../test/rng.js';
import { encodeWebhookBody, type HookItem } from '../amocrm/webhooks/index.js';
import { amoContacts, amoDeals, amoDealStages, domainEvents, leads, webhookDeliveries } from '../db/index.js';
import type { ApplyContext } from './apply-deal.js';
import { insertDelivery } from './inbox.js';
import { processDeliveries } from './process-delivery.js';
import { createWebhookProcessor } from './processor.js';

const ACCOUNT = { id: 31000001, subdomain: 'acme', self: 'https://acme.amocrm.ru' };
const T0 = 1_700_000_000;
const PIPE = 7000;
const STAGES = [101, 102, 103, 142, 143];
const DEALS = [11, 12, 13, 14];
const CONTACTS = [51, 52];
const ctx: ApplyContext = { account: 'default', fieldMap: { byKey: { object_cost: 501 } } };

/** `n` seeded deliveries of one to three items each, the way amoCRM groups them. */
function stream(seed: number, n: number): string[] {
  const rnd = mulberry32(seed);
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    // Mostly forward in time, sometimes late (a delivery amoCRM retried) or in the same second.
    const at = T0 + i * 10 - (rnd() < 0.25 ? Math.floor(rnd() * 200) : 0);
    const id = pick(DEALS);
    const status = pick(STAGES);
    const lead = { id, name: `Deal ${id}`, status_id: status, pipeline_id: PIPE, price: Math.floor(rnd() * 5) * 1000, responsible_user_id: pick([5, 6]), updated_at: at, last_modified: at, created_at: T0, account_id: ACCOUNT.id };
    const items: HookItem[] = [];
    const r = rnd();
    if (r < 0.07) items.push({ key: 'leads', action: 'delete', fields: { id, status_id: status, pipeline_id: PIPE } });
    else if (r < 0.12) items.push({ key: 'leads', action: 'restore', fields: lead });
    else if (r < 0.25) {
      const c = pick(CONTACTS);
      const phone = { id: 601, name: 'Телефон', code: 'PHONE', values: [{ value: `+7 900 000-00-${10 + Math.floor(rnd() * 5)}` }] };
      items.push({ key: 'contacts', action: rnd() < 0.15 ? 'delete' : pick(['add', 'update']), fields: { id: c, name: `Contact ${c}`, type: 'contact', updated_at: at, last_modified: at, custom_fields: [phone], linked_leads_id: { [id]: { ID: id } } } });
    } else {
      const cf = rnd() < 0.4 ? { custom_fields: [{ id: 501, name: 'Стоимость', values: [{ value: String(Math.floor(rnd() * 9) * 1000) }] }] } : {};
      items.push({ key: 'leads', action: pick(['add', 'update']), fields: { ...lead, ...cf } });
      if (rnd() < 0.6) items.push({ key: 'leads', action: 'status', fields: { ...lead, old_status_id: pick(STAGES) } });
      if (rnd() < 0.2) items.push({ key: 'leads', action: 'responsible', fields: { ...lead, old_responsible_user_id: 4 } });
    }
    const body = encodeWebhookBody(items, ACCOUNT);
    bodies.push(body);
    // amoCRM repeats a delivery it did not see acked: the same body again, at once or later.
    if (rnd() < 0.08) bodies.push(body);
  }
  return bodies;
}

async function run(db: TestDb, bodies: string[], batch: number): Promise<unknown> {
  // Deal 12 was delivered by Leadbridge: its deal links to our lead.
  await db.db.insert(leads).values({ id: '00000000-0000-4000-8000-000000000012', formKey: 'f', status: 'delivered', amoLeadId: 12 });
  for (const [i, body] of bodies.entries()) {
    // Receipt times (a delete's only time) within the stream's amoCRM times: some deletes are older than the state.
    const receivedAt = new Date((T0 + i * 9) * 1000);
    await db.db.transaction((tx) => insertDelivery(tx, 'default', { status: 'pending', contentType: 'application/x-www-form-urlencoded', body, receivedAt }));
  }
  const rows = await db.db.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.id));
  const outcomes: unknown[] = [];
  for (let i = 0; i < rows.length; i += batch) {
    outcomes.push(...(await db.db.transaction((tx) => processDeliveries(tx, rows.slice(i, i + batch), ctx))));
  }
  const strip = <T extends Record<string, unknown>>(r: T, ...keys: string[]) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)));
  return {
    outcomes,
    deliveries: (await db.db.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.id))).map((d) => [d.status, d.eventCount, d.appliedCount]),
    deals: (await db.db.select().from(amoDeals).orderBy(asc(amoDeals.amoLeadId))).map((r) => strip(r, 'createdAt', 'updatedAt')),
    stages: (await db.db.select().from(amoDealStages).orderBy(asc(amoDealStages.amoLeadId), asc(amoDealStages.enteredAt), asc(amoDealStages.id))).map((r) => strip(r, 'id')),
    contacts: (await db.db.select().from(amoContacts).orderBy(asc(amoContacts.amoContactId))).map((r) => strip(r, 'createdAt', 'updatedAt')),
    events: (await db.db.select().from(domainEvents).orderBy(asc(domainEvents.id))).map((e) => [e.type, e.amoLeadId, e.leadId, e.payload, e.occurredAt.getTime()]),
  };
}

let one: TestDb;
let many: TestDb;
beforeAll(async () => {
  [one, many] = await Promise.all([createTestDb(), createTestDb()]);
});
afterAll(async () => {
  await Promise.all([one?.cleanup(), many?.cleanup()]);
});

describe('a batch applied at once', () => {
  beforeEach(async () => {
    const tables = sql.raw('amo_deals, amo_deal_stages, amo_contacts, domain_events, webhook_deliveries, webhook_event_keys, leads');
    await Promise.all([one, many].map((t) => t.db.execute(sql`truncate ${tables} cascade`)));
  });
  for (const seed of [1, 2, 3]) {
    it(`ends where one delivery per transaction ends (seed ${seed}, 80 deliveries, batches of 40)`, async () => {
      const bodies = stream(seed, 80);
      const [a, b] = [await run(one, bodies, 1), await run(many, bodies, 40)];
      expect(b).toEqual(a);
      const { deals, stages, events } = a as { deals: unknown[]; stages: unknown[]; events: unknown[] };
      // The stream is not trivial: every deal and a real history and event stream came out of it.
      expect(deals).toHaveLength(DEALS.length);
      expect(stages.length).toBeGreaterThan(DEALS.length * 3);
      expect(events.length).toBeGreaterThan(40);
    });
  }

  it('a delivery the database cannot take fails alone: the other deliveries of its batch are applied', async () => {
    const item = (id: number, at: number): string =>
      encodeWebhookBody([{ key: 'leads', action: 'add', fields: { id, name: `Deal ${id}`, status_id: 101, pipeline_id: PIPE, updated_at: at, last_modified: at, created_at: T0 } }], ACCOUNT);
    // A time past year 9999 (refused at receipt, src/webhooks/ranges.ts; stored here directly): no valid date.
    const bodies = [item(21, T0), item(22, T0), item(23, 1e15), item(24, T0), item(25, T0)];
    for (const body of bodies) await many.db.transaction((tx) => insertDelivery(tx, 'default', { status: 'pending', contentType: 'application/x-www-form-urlencoded', body }));
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (_o: object, m: string) => warnings.push(m), error: (_o: object, m: string) => warnings.push(m) };
    expect(await createWebhookProcessor({ db: many.db, account: 'default', batchSize: 5, logger }).drain()).toBe(5);
    const rows = await many.db.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.id));
    expect(rows.map((d) => [d.status, d.errorCode])).toEqual([['processed', null], ['processed', null], ['failed', 'APPLY_FAILED'], ['processed', null], ['processed', null]]);
    expect((await many.db.select().from(amoDeals).orderBy(asc(amoDeals.amoLeadId))).map((d) => d.amoLeadId)).toEqual([21, 22, 24, 25]);
    expect(warnings).toEqual(['webhook batch failed; retrying one by one', 'webhook delivery failed']);
  });

  it('two batches about the same new deal at once: the second waits for the first, then updates its row', async () => {
    const hook = (action: 'add' | 'status', statusId: number, at: number): string =>
      encodeWebhookBody([{ key: 'leads', action, fields: { id: 31, name: 'Deal 31', status_id: statusId, pipeline_id: PIPE, updated_at: at, last_modified: at, created_at: T0 } }], ACCOUNT);
    // amoCRM sends one action per POST: the deal's add and its first stage move arrive as two deliveries, which two
    // lanes (or two instances) on PostgreSQL can claim at the same moment.
    for (const body of [hook('add', 101, T0), hook('status', 102, T0 + 5)]) {
      await many.db.transaction((tx) => insertDelivery(tx, 'default', { status: 'pending', contentType: 'application/x-www-form-urlencoded', body }));
    }
    const [a, b] = await many.db.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.id));
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    let applied = (): void => {};
    const firstApplied = new Promise<void>((r) => (applied = r));
    const first = many.db.transaction(async (tx) => {
      const out = await processDeliveries(tx, [a as never], ctx);
      applied();
      await gate; // the first batch's transaction stays open: deal 31 is written but not committed
      return out;
    });
    await firstApplied;
    const second = many.db.transaction((tx) => processDeliveries(tx, [b as never], ctx));
    await new Promise((r) => setTimeout(r, 300));
    release();
    expect((await first).map((o) => o.status)).toEqual(['processed']);
    expect((await second).map((o) => o.status)).toEqual(['processed']);
    const [deal] = await many.db.select().from(amoDeals);
    expect(deal).toMatchObject({ amoLeadId: 31, statusId: 102 });
    const stages = await many.db.select().from(amoDealStages).orderBy(asc(amoDealStages.enteredAt));
    expect(stages.map((st) => [st.statusId, st.enteredAt.getTime() / 1000, st.leftAt ? st.leftAt.getTime() / 1000 : null])).toEqual([
      [101, T0, T0 + 5],
      [102, T0 + 5, null],
    ]);
  });
});
