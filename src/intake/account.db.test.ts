// The account is a value intake is given, not a process-wide one: a lead (and its lead.captured event) is stored
// under the account of the intake that took it, in the group-committed path and the one-statement path alike.
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../db/index.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { createLeadIntake } from './index.js';

let t: TestDb;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(async () => {
  await t.cleanup();
});

describe('intake account', () => {
  it.each([
    ['group commit', {}],
    ['one statement per lead', { groupCommit: false as const }],
  ])('stores the lead and its event under the intake account (%s)', async (_name, extra) => {
    const agency = createLeadIntake({ db: t.db, defaultCountry: 'RU', forms: {}, account: 'agency-b', ...extra });
    const plain = createLeadIntake({ db: t.db, defaultCountry: 'RU', forms: {}, ...extra });
    const a = await agency.accept({ phone: '+79161234567', name: 'B' });
    const d = await plain.accept({ phone: '+79161234568', name: 'D' });
    const leads = await queryRows<{ id: string; account: string }>(t.db, sql`select id::text, account from leads order by account`);
    expect(leads).toEqual([
      { id: a.lead.id, account: 'agency-b' },
      { id: d.lead.id, account: 'default' },
    ]);
    const events = await queryRows<{ lead_id: string; account: string }>(
      t.db,
      sql`select lead_id::text, account from domain_events where type = 'lead.captured' order by account`,
    );
    expect(events).toEqual([
      { lead_id: a.lead.id, account: 'agency-b' },
      { lead_id: d.lead.id, account: 'default' },
    ]);
  });
});
