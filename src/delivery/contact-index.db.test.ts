// The contact index is per account: the same phone is a different contact (or none) in another amoCRM account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { CONTACT_PENDING, findContacts, indexContacts, releaseContactKeys, reserveContactKeys, unindexContacts, upsertContacts } from './sql.js';

const KEY = 'phone:+79120012345';
let tdb: TestDb;

beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb?.cleanup();
});

describe('amo_contact_index by account', () => {
  it('finds, reserves, releases and forgets keys within one account only', async () => {
    const now = new Date();
    const stale = new Date(now.getTime() - 60_000);
    const found = async (account: string) => [...(await findContacts(tdb.db, account, [KEY], stale)).values()];
    await indexContacts(tdb.db, 'a', [{ key: KEY, amoContactId: 501, source: 'created' }], now);
    expect(await found('a')).toEqual([{ amoContactId: 501, source: 'created' }]);
    expect(await found('b')).toEqual([]);
    // Account b may create its own contact for the same phone: the reservation is b's, a's mapping stays.
    expect([...(await reserveContactKeys(tdb.db, 'b', [{ key: KEY, leadId: 'lead-b' }], now, stale))]).toEqual([KEY]);
    expect(await found('b')).toEqual([{ amoContactId: CONTACT_PENDING, source: 'pending:lead-b' }]);
    await releaseContactKeys(tdb.db, 'b', [KEY]);
    expect(await found('b')).toEqual([]);
    await upsertContacts(tdb.db, 'b', [{ key: KEY, amoContactId: 501, source: 'search' }]);
    await unindexContacts(tdb.db, 'a', [501]);
    expect(await found('a')).toEqual([]);
    expect(await found('b')).toEqual([{ amoContactId: 501, source: 'search' }]);
  });
});
