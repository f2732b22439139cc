// Delivery guarantees that must hold on an amoCRM that is not kind: a search index that lags, unknown outcomes after
// the deal (and its contact) were created, contacts a manager created a moment before the lead.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../test/app.js';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { inArray } from 'drizzle-orm';
import { leads } from '../db/index.js';
import { normalisePhone } from '../intake/index.js';
import { createContactSync } from './contact-sync.js';
import { planContacts } from './contacts.js';
import { deadOnThisHost } from './worker.js';
import { startHarness, waitDelivered, type Harness } from '../../test/delivery.js';

const COMPLEX = '/api/v4/leads/complex';
const dealsOf = (h: Harness, id: string) =>
  h.emuState().leads.filter((l) => (l.custom_fields_values ?? []).some((f: any) => f.field_code === 'LEADBRIDGE_ID' && f.values.some((v: any) => v.value === id)));
const contactsWithPhone = (h: Harness, digits: string) =>
  h.emuState().contacts.filter((c) => (c.custom_fields_values ?? []).some((f: any) => f.field_code === 'PHONE' && f.values.some((v: any) => String(v.value).replace(/\D/g, '').endsWith(digits))));

describe('unknown outcomes on a lagging, rate-limited amoCRM', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(buildApp, { amoTimeoutMs: 2000, delivery: { concurrency: 1 } });
  });
  afterEach(() => h.emu.control.clearFaults());
  afterAll(async () => {
    await h?.close();
  });

  it('two leads, same phone, connection dropped after the deal: one deal each, one contact', async () => {
    await h.delivery.stop();
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', drop: true });
    const a = await h.submit({ form: 'site', name: 'Twin A', phone: '+7 916 555 10 01' });
    const b = await h.submit({ form: 'site', name: 'Twin B', phone: '+7 916 555 10 01' });
    h.delivery.start();
    const views = await waitDelivered(h, [a.id, b.id]);
    expect(dealsOf(h, a.id)).toHaveLength(1);
    expect(dealsOf(h, b.id)).toHaveLength(1);
    expect(contactsWithPhone(h, '9165551001')).toHaveLength(1);
    expect(views[0]!.amo_contact_id).toBe(views[1]!.amo_contact_id);
    expect(views[0]!.timeline.find((e: any) => e.type === 'delivered').detail).toMatchObject({ recovered: true });
  });

  it('a lead sent again after a timeout, while search has not caught up, is found by the scan: one deal', async () => {
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', delayMs: 2600 });
    const { id } = await h.submit({ form: 'site', name: 'Slow', phone: '+7 916 555 10 02' });
    const [view] = await waitDelivered(h, [id]);
    expect(dealsOf(h, id)).toHaveLength(1);
    expect(view!.amo_lead_id).toBe(dealsOf(h, id)[0].id);
    // The lookup never used amoCRM's search (it lags 3 s here and would have missed the deal).
    expect(h.emuState().calls.filter((c) => c.path === '/api/v4/leads' && c.method === 'GET').length).toBeGreaterThan(0);
  });

  it('an unknown outcome costs one lookup call (a batch scan), after which the lead is sent without looking again', async () => {
    await h.delivery.stop();
    const before = h.emuState().calls.filter((c) => c.path === '/api/v4/leads' && c.method === 'GET').length;
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', drop: true });
    const x = await h.submit({ form: 'site', name: 'Lookup once', phone: '+7 916 555 10 03' });
    h.delivery.start();
    const [view] = await waitDelivered(h, [x.id]);
    const lookups = h.emuState().calls.filter((c) => c.path === '/api/v4/leads' && c.method === 'GET').length - before;
    expect(lookups).toBe(1);
    expect(dealsOf(h, x.id)).toHaveLength(1);
    expect(view!.timeline.filter((e: any) => e.type === 'claimed').length).toBeGreaterThanOrEqual(2);
  });
});

describe('the local contact index (search mode, the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(buildApp, { delivery: { contactLookup: 'search' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('links contacts created in amoCRM a moment before the lead, without searching, while search lags', async () => {
    // The import ran at start (empty account); these contacts are newer than it and not yet searchable.
    const made = await h.amo.contacts.create(
      Array.from({ length: 5 }, (_, i) => ({ name: `Manager's client ${i}`, custom_fields_values: [{ field_code: 'PHONE', values: [{ value: `8 (915) 777-00-0${i}`, enum_code: 'WORK' }] }] })),
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.submit({ form: 'site', name: `Client ${i}`, phone: `+7915777000${i}` })).id);
    const fresh = (await h.submit({ form: 'site', name: 'New person', phone: '+79157770099' })).id;
    const views = await waitDelivered(h, [...ids, fresh]);
    views.slice(0, 5).forEach((v, i) => expect(v.amo_contact_id).toBe(made[i]!.id));
    expect(made.map((m) => m.id)).not.toContain(views[5]!.amo_contact_id);
    expect(contactsWithPhone(h, '9157770099')).toHaveLength(1);
    for (let i = 0; i < 5; i++) expect(contactsWithPhone(h, `915777000${i}`)).toHaveLength(1);
    // No per-contact search: the index is complete, a catch-up (filter by updated_at) brought it up to date.
    const searches = h.emuState().calls.filter((c) => c.path === '/api/v4/contacts' && c.method === 'GET');
    expect(searches.length).toBeLessThan(6); // a search per lead would be ≥ 6 on its own
  });
});

describe('contact searches (search mode while the index is not complete)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(buildApp, { start: false, emulator: { searchLagMs: 0 } });
  });
  afterEach(() => h.emu.control.clearFaults());
  afterAll(async () => {
    await h?.close();
  });

  it('one 5xx (or 429) during the searches fails only the leads not yet searched; the searches done are kept', async () => {
    const [existing] = await h.amo.contacts.create([{ name: 'Known', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79167771001', enum_code: 'WORK' }] }] }]);
    const ids: string[] = [];
    for (const p of ['+7 916 777 10 01', '+7 916 777 10 02', '+7 916 777 10 03']) ids.push((await h.submit({ form: 'site', name: 'Searched', phone: p })).id);
    const rows = await h.tdb.db.select().from(leads).where(inArray(leads.id, ids));
    const batch = ids.map((id) => rows.find((r) => r.id === id)!);
    // No retry inside the search: the lead is retried instead.
    const deps = { db: h.tdb.db, account: 'default', amo: h.amo, mode: 'search' as const, opts: { maxRetries: 0 }, now: new Date(), staleBefore: new Date(Date.now() - 60_000) };
    const searchCalls = () => h.emuState().calls.filter((c) => c.path === '/api/v4/contacts' && c.method === 'GET').length;
    const before = searchCalls();
    // Search 1 answers, search 2 meets a 503, search 3 is not spent.
    let n = 0;
    const contacts = h.amo.contacts;
    const realList = contacts.list.bind(contacts);
    contacts.list = (async (...args: Parameters<typeof realList>) => {
      if (++n === 2) h.emu.control.addFault({ method: 'GET', path: '/api/v4/contacts', status: 503, count: 1 });
      return realList(...args);
    }) as typeof realList;
    try {
      const plan = await planContacts(deps, batch);
      expect(plan.known.get(ids[0]!)).toBe(existing!.id);
      expect([...plan.searchFailed.keys()].sort()).toEqual([ids[1], ids[2]].sort());
      // The first search's result is in the index: the retry searches only the two that failed.
      const again = await planContacts(deps, batch);
      expect(again.known.get(ids[0]!)).toBe(existing!.id);
      expect(again.searchFailed.size).toBe(0);
    } finally {
      contacts.list = realList;
    }
    expect(searchCalls() - before).toBe(2 + 2); // 1 ok + 1 failed, then the 2 left — not 3 + 3
  });
});

describe('while the contact index is not complete yet (the import still runs)', () => {
  let h: Harness;
  beforeAll(async () => {
    // Not started: no import ever completes here; search lags 3 s (the harness default).
    h = await startHarness(buildApp, { start: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('links a contact a manager created a moment before the lead, although search does not find it yet', async () => {
    const [made] = await h.amo.contacts.create([{ name: 'Just made', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '8 (915) 888-11-22', enum_code: 'WORK' }] }] }]);
    const { id } = await h.submit({ form: 'site', name: 'Caller', phone: '+79158881122' });
    const [row] = await h.tdb.db.select().from(leads).where(inArray(leads.id, [id]));
    const sync = createContactSync({ db: h.tdb.db, amo: h.amo, account: 'default', normalisePhone: (p) => normalisePhone(p, 'RU'), now: Date.now });
    expect(await sync.isComplete()).toBe(false);
    const plan = await planContacts({ db: h.tdb.db, account: 'default', amo: h.amo, mode: 'search', sync, opts: {}, now: new Date(), staleBefore: new Date(Date.now() - 60_000) }, [row!]);
    expect(plan.known.get(id)).toBe(made!.id);
    // Search alone would have missed it (it lags): a query now still finds nothing.
    expect((await h.amo.contacts.list({ query: '9158881122' })).items).toHaveLength(0);
  });
});

describe('claims stranded by a dead process', () => {
  let h: Harness;
  beforeAll(async () => {
    // Default claim timeout (120 s): only the proof of death can bring the claims back early.
    h = await startHarness(buildApp, { start: false, delivery: { exclusiveDb: true } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('on an exclusive (PGlite) database, claims of any other process are swept back at once and delivered once', async () => {
    const { id } = await h.submit({ form: 'site', name: 'Stranded', phone: '+7 916 555 20 01' });
    await h.tdb.db.update(leads).set({ status: 'delivering', claimedBy: 'gone-host:424242:w1', claimedAt: new Date() }).where(inArray(leads.id, [id]));
    // One pass sweeps it back (flagged for a lookup), looks it up, finds no deal and sends it — no 120 s wait.
    for (let i = 0; i < 3 && (await h.lead(id)).status !== 'delivered'; i++) await h.delivery.runOnce();
    const [view] = await waitDelivered(h, [id], 1000);
    expect(view!.status).toBe('delivered');
    expect(dealsOf(h, id)).toHaveLength(1);
  });

  it('on a shared database, a worker of this host whose pid is gone counts as dead; a live one does not', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    expect(deadOnThisHost(`${hostname()}:${pid}:lane`)).toBe(true);
    expect(deadOnThisHost(`${hostname()}:${process.pid}:lane`)).toBe(false);
    expect(deadOnThisHost(`other-host:${pid}:lane`)).toBe(false);
  });
});
