import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { consents, leads } from '../db/index.js';
import { createLeadIntake } from '../intake/index.js';

let tdb: TestDb;

beforeAll(async () => {
  tdb = await createTestDb();
});

afterAll(async () => {
  await tdb?.cleanup();
});

describe('consent records', () => {
  it('one row per lead with consent given, in the lead statement: version from the lead, the form or v1; none for refused, absent or repeated', async () => {
    const intake = createLeadIntake({ db: tdb.db, defaultCountry: 'RU', forms: { shop: { honeypot: 'website', extraFields: [], consentVersion: 'shop-3' }, plain: { honeypot: 'website', extraFields: [] } } });
    const at = '2026-11-30T10:00:00.000Z';
    const given = await intake.accept({ form: 'shop', phone: '+79001110001', consent: { given: true, at } }, { ip: '203.0.113.1', userAgent: 'UA/1', source: 'widget' });
    const own = await intake.accept({ form: 'shop', phone: '+79001110002', consent: { given: 'on', text_version: 'lead-9' } }, { ip: '203.0.113.2' });
    const plain = await intake.accept({ form: 'plain', phone: '+79001110003', consent: true });
    const refused = await intake.accept({ form: 'shop', phone: '+79001110004', consent: { given: false } });
    const none = await intake.accept({ form: 'shop', phone: '+79001110005' });
    const again = await intake.accept({ form: 'shop', phone: '+79001110001', idempotency_key: 'k1', consent: { given: true } });
    const repeat = await intake.accept({ form: 'shop', phone: '+79001110001', idempotency_key: 'k1', consent: { given: true } });
    expect(repeat.created).toBe(false);
    await expect(intake.accept({ form: 'shop', phone: '+79001110006', consent: { given: 'maybe' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    const rows = await tdb.db.select().from(consents).orderBy(consents.id);
    expect(rows.map((r) => ({ lead: r.leadId, v: r.textVersion, ip: r.ip, ua: r.userAgent, src: r.source, form: r.formKey, purpose: r.purpose }))).toEqual([
      { lead: given.lead.id, v: 'shop-3', ip: '203.0.113.1', ua: 'UA/1', src: 'widget', form: 'shop', purpose: 'pd_processing' },
      { lead: own.lead.id, v: 'lead-9', ip: '203.0.113.2', ua: null, src: 'api', form: 'shop', purpose: 'pd_processing' },
      { lead: plain.lead.id, v: 'v1', ip: null, ua: null, src: 'api', form: 'plain', purpose: 'pd_processing' },
      { lead: again.lead.id, v: 'shop-3', ip: null, ua: null, src: 'api', form: 'shop', purpose: 'pd_processing' },
    ]);
    expect(rows[0]?.givenAt.toISOString()).toBe(at);
    // given_at defaults to the submit time the lead recorded.
    const [ownLead] = await tdb.db.select().from(leads).where(sql`${leads.id} = ${own.lead.id}`);
    expect(rows[1]?.givenAt.toISOString()).toBe(ownLead?.consent?.at);
    expect(rows.some((r) => r.leadId === refused.lead.id || r.leadId === none.lead.id)).toBe(false);
  });
});
