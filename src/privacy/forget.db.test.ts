import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import {
  amoContactIndex,
  amoContacts,
  amoDeals,
  consents,
  domainEvents,
  followupEnrolments,
  followupSteps,
  followupSuppressions,
  leads,
  webhookDeliveries,
  whatsappContacts,
  whatsappMessages,
  whatsappWebhooks,
} from '../db/index.js';
import { createLeadIntake, type LeadIntake } from '../intake/index.js';
import { forgetPerson, PrivacyError } from './index.js';

let tdb: TestDb;
let intake: LeadIntake;

beforeAll(async () => {
  tdb = await createTestDb();
  intake = createLeadIntake({ db: tdb.db, defaultCountry: 'RU', forms: { fitzone: { honeypot: 'website', extraFields: ['direction'], consentVersion: 'fz-2025-09' } }, groupCommit: false });
});

afterAll(async () => {
  await tdb?.cleanup();
});

type Row = Record<string, unknown>;
const rowsOf = async (q: ReturnType<typeof sql>): Promise<Row[]> => ((await tdb.db.execute(q)) as unknown as { rows: Row[] }).rows;

/** Every text/json column of every table (all schemas but the system ones) that holds one of the needles. */
async function traces(needles: string[]): Promise<string[]> {
  const cols = await rowsOf(sql`select table_schema as s, table_name as t, column_name as c from information_schema.columns
    where table_schema not in ('pg_catalog', 'information_schema') and data_type in ('text', 'character varying', 'jsonb', 'json')
      and (table_schema, table_name) in (select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE')`);
  const found: string[] = [];
  for (const { s, t, c } of cols) {
    for (const n of needles) {
      const [hit] = await rowsOf(
        sql`select count(*)::int as n from ${sql.identifier(String(s))}.${sql.identifier(String(t))} where strpos(lower(${sql.identifier(String(c))}::text), ${n.toLowerCase()}) > 0`,
      );
      if (Number(hit?.n) > 0) found.push(`${String(s)}.${String(t)}.${String(c)} ∋ ${n}`);
    }
  }
  return found;
}

/** What the dashboard counts: leads per form, status, day and last-touch source. */
async function counts(): Promise<Row[]> {
  return rowsOf(sql`select form_key, status, created_at::date::text as day, attribution ->> 'utm_source' as src, source, count(*)::int as n
    from leads group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5`);
}

describe('forgetPerson', () => {
  it('erases every trace of the phone and email, keeps the counts and the consent record without its IP', async () => {
    const body = (over: Row) => ({
      form: 'fitzone', name: 'Ирина Забываемая', phone: '8 (916) 555-12-34', email: 'Irina.Forget@Example.ru', message: 'перезвоните на 89165551234',
      direction: 'Йога', utm_source: 'yandex', utm_campaign: 'spring', consent: { given: true }, landing_page: 'https://fit.example/?email=irina.forget%40example.ru', ...over,
    });
    const a = await intake.accept(body({}), { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 test', source: 'widget' });
    const b = await intake.accept(body({ phone: '+7 916 555 1234', email: undefined, idempotency_key: 'irina-2', consent: { given: true, text_version: 'site-v3' } }), { ip: '203.0.113.8' });
    const other = await intake.accept(
      { form: 'fitzone', name: 'Пётр Остающийся', phone: '+79035550000', email: 'petr@example.ru', utm_source: 'yandex', consent: { given: true } },
      { ip: '198.51.100.1' },
    );
    const spamOfHers = await intake.accept(body({ website: 'bot', idempotency_key: 'irina-spam' }), { ip: '203.0.113.9' });
    expect(spamOfHers.lead.status).toBe('spam');

    // Consent records were written with the leads (same statement), with the form's or the lead's text version.
    const given = await tdb.db.select().from(consents).where(sql`${consents.leadId} in (${a.lead.id}, ${b.lead.id}, ${other.lead.id})`);
    expect(given.map((c) => [c.leadId, c.textVersion, c.ip]).sort()).toEqual(
      [
        [a.lead.id, 'fz-2025-09', '203.0.113.7'],
        [b.lead.id, 'site-v3', '203.0.113.8'],
        [other.lead.id, 'fz-2025-09', '198.51.100.1'],
      ].sort(),
    );

    // Her data elsewhere: delivered deal + contact, the contact index, amoCRM webhook bodies (form-encoded), a
    // domain event with her phone, follow-up enrolment + steps + suppression, WhatsApp state and webhook bodies.
    await tdb.db.update(leads).set({ amoLeadId: 9001, amoContactId: 7001, status: 'delivered' }).where(sql`${leads.id} = ${a.lead.id}`);
    await tdb.db.insert(amoDeals).values({ amoLeadId: 9001, leadId: a.lead.id, name: 'FitZone: Ирина Забываемая', pipelineId: 1, statusId: 2 });
    await tdb.db.insert(amoContacts).values({
      amoContactId: 7001, name: 'Ирина Забываемая',
      customFields: { '1': { id: 1, code: 'PHONE', values: [{ value: '+79165551234' }] }, '2': { id: 2, code: 'EMAIL', values: [{ value: 'irina.forget@example.ru' }] } },
    });
    await tdb.db.insert(amoContactIndex).values([
      { key: 'phone:+79165551234', amoContactId: 7001, source: 'created' },
      { key: 'email:irina.forget@example.ru', amoContactId: 7001, source: 'created' },
      { key: 'phone:+79035550000', amoContactId: 7002, source: 'created' },
    ]);
    const hook = 'contacts%5Bupdate%5D%5B0%5D%5Bid%5D=7001&contacts%5Bupdate%5D%5B0%5D%5Bname%5D=%D0%98%D1%80%D0%B8%D0%BD%D0%B0+%D0%97%D0%B0%D0%B1%D1%8B%D0%B2%D0%B0%D0%B5%D0%BC%D0%B0%D1%8F' +
      '&contacts%5Bupdate%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=%2B79165551234' +
      '&contacts%5Bupdate%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=Irina.Forget%40example.ru';
    await tdb.db.insert(webhookDeliveries).values([
      { body: hook, bodyHash: 'h1', status: 'processed', contentType: 'application/x-www-form-urlencoded' },
      { body: 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=9002', bodyHash: 'h2', status: 'processed' },
    ]);
    await tdb.db.insert(domainEvents).values({
      type: 'contact.changed', amoLeadId: null, occurredAt: new Date(),
      payload: { amo_contact_id: 7001, kind: 'contact', action: 'update', lead_ids: [9001], phones: ['+79165551234'], emails: ['irina.forget@example.ru'] },
    });
    const [enrolment] = await tdb.db
      .insert(followupEnrolments)
      .values({
        sequenceKey: 'welcome', leadId: a.lead.id, personKey: 'irina.forget@example.ru', dedupeKey: 'welcome:irina.forget@example.ru',
        vars: { name: 'Ирина Забываемая', email: 'irina.forget@example.ru', phone: '+79165551234', form: 'fitzone', formTitle: 'FitZone', fields: { direction: 'Йога' }, optIn: { email: true, whatsapp: true } },
      })
      .returning();
    if (!enrolment) throw new Error('no enrolment');
    await tdb.db.insert(followupSteps).values([
      { enrolmentId: enrolment.id, stepIndex: 0, kind: 'email', status: 'sent', dueAt: new Date(), detail: { subject: 'Ирина, добро пожаловать', to: 'irina.forget@example.ru' } },
      { enrolmentId: enrolment.id, stepIndex: 1, kind: 'whatsapp', status: 'scheduled', dueAt: new Date(Date.now() + 86_400_000), detail: { template: 'reminder' } },
    ]);
    await tdb.db.insert(followupSuppressions).values({ channel: 'email', address: 'irina.forget@example.ru', reason: 'unsubscribed' });
    await tdb.db.insert(whatsappContacts).values({ account: 'default', waId: '79165551234', profileName: 'Ирина', lastInboundAt: new Date() });
    await tdb.db.insert(whatsappMessages).values({ account: 'default', messageId: 'wamid.X1', to: '+79165551234', waId: '79165551234', kind: 'template', templateName: 'reminder' });
    await tdb.db.insert(whatsappWebhooks).values({
      account: 'default', status: 'processed', itemCount: 1, appliedCount: 1,
      body: JSON.stringify({ entry: [{ changes: [{ value: { contacts: [{ wa_id: '79165551234', profile: { name: 'Ирина' } }], messages: [{ from: '79165551234', text: { body: 'Да, приду' } }] } }] }] }),
    });

    const needles = ['9165551234', 'irina.forget@example.ru', 'irina.forget%40example.ru'];
    expect((await traces(needles)).length).toBeGreaterThan(10);
    const before = await counts();

    const result = await forgetPerson({ db: tdb.db, defaultCountry: 'RU' }, { phone: '+7 (916) 555-12-34', email: ' IRINA.FORGET@example.ru ' });

    expect(result.leads).toBe(3);
    expect(result.tables).toMatchObject({
      leads: 3, consents: 3, amo_contact_index: 2, amo_contacts: 1, amo_deals: 1, followup_enrolments: 1, followup_steps: 2,
      followup_suppressions: 1, whatsapp_contacts: 1, whatsapp_messages: 1, whatsapp_webhooks: 1, webhook_deliveries: 1, domain_events: 1,
    });
    expect(await traces(needles)).toEqual([]);
    // Her name went with the linked rows and the raw webhook body (URL-encoded there).
    expect(await traces(['Ирина Забываемая', '%D0%98%D1%80%D0%B8%D0%BD%D0%B0+%D0%97%D0%B0%D0%B1'])).toEqual([]);
    expect(await counts()).toEqual(before);

    // The consent record stays (evidence), without the IP; the other person is untouched.
    const after = await tdb.db.select().from(consents).where(sql`${consents.leadId} in (${a.lead.id}, ${b.lead.id}, ${other.lead.id})`);
    for (const c of after.filter((x) => x.leadId !== other.lead.id)) {
      expect(c).toMatchObject({ ip: null, userAgent: null });
      expect(c.anonymisedAt).toBeInstanceOf(Date);
      expect(c.givenAt).toBeInstanceOf(Date);
    }
    expect(after.find((c) => c.leadId === other.lead.id)).toMatchObject({ ip: '198.51.100.1', anonymisedAt: null });
    const [petr] = await tdb.db.select().from(leads).where(sql`${leads.id} = ${other.lead.id}`);
    expect(petr).toMatchObject({ name: 'Пётр Остающийся', phone: '+79035550000', email: 'petr@example.ru', ip: '198.51.100.1' });
    expect((await traces(['+79035550000', 'petr@example.ru'])).length).toBeGreaterThan(0);

    // Her lead keeps what analytics needs; the sequence ended and sends nothing more.
    const [hers] = await tdb.db.select().from(leads).where(sql`${leads.id} = ${a.lead.id}`);
    expect(hers).toMatchObject({ formKey: 'fitzone', status: 'delivered', source: 'widget', name: null, phone: null, email: null, ip: null, amoLeadId: 9001 });
    expect(hers?.attribution).toMatchObject({ utm_source: 'yandex', utm_campaign: 'spring' });
    const [e] = await tdb.db.select().from(followupEnrolments).where(sql`${followupEnrolments.id} = ${enrolment.id}`);
    expect(e).toMatchObject({ status: 'exited', exitReason: 'erased' });
    const steps = await tdb.db.select().from(followupSteps).where(sql`${followupSteps.enrolmentId} = ${enrolment.id}`);
    expect(steps.map((s) => s.status).sort()).toEqual(['cancelled', 'sent']);

    // The erasure is recorded, without the person.
    const events = await rowsOf(sql`select payload from domain_events where type = 'privacy.erased'`);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ by: ['phone', 'email'], leads: 3 });
    const timeline = await rowsOf(sql`select count(*)::int as n from lead_events where type = 'erased'`);
    expect(timeline[0]?.n).toBe(3);

    // A second run finds nothing new to erase on the leads (they no longer carry the phone or email).
    const again = await forgetPerson({ db: tdb.db, defaultCountry: 'RU' }, { phone: '89165551234' });
    expect(again.leads).toBe(0);
  });

  it('sweeps partitioned tables (like pg-boss jobs) partition by partition, without mixing rows', async () => {
    await tdb.db.execute(sql`create table jobs_demo (queue text not null, data jsonb not null, note text) partition by list (queue)`);
    await tdb.db.execute(sql`create table jobs_demo_a partition of jobs_demo for values in ('a')`);
    await tdb.db.execute(sql`create table jobs_demo_b partition of jobs_demo for values in ('b')`);
    await tdb.db.execute(sql`insert into jobs_demo values ('a', '{"to":"part@example.ru","n":1}', 'keep a'), ('b', '{"n":2}', 'mail part@example.ru')`);
    const r = await forgetPerson({ db: tdb.db, defaultCountry: 'RU' }, { email: 'part@example.ru' });
    expect(r.tables).toMatchObject({ jobs_demo_a: 1, jobs_demo_b: 1 });
    const rows = await rowsOf(sql`select queue, data, note from jobs_demo order by queue`);
    expect(rows).toEqual([
      { queue: 'a', data: { to: '[erased]', n: 1 }, note: 'keep a' },
      { queue: 'b', data: { n: 2 }, note: 'mail [erased]' },
    ]);
  });

  it('refuses an invalid phone or no identifier with a machine-readable code', async () => {
    await expect(forgetPerson({ db: tdb.db, defaultCountry: 'RU' }, { phone: '12' })).rejects.toMatchObject({ code: 'PHONE_INVALID', statusCode: 422 });
    await expect(forgetPerson({ db: tdb.db, defaultCountry: 'RU' }, {})).rejects.toBeInstanceOf(PrivacyError);
    await expect(forgetPerson({ db: tdb.db, defaultCountry: 'RU' }, { email: 'nope' })).rejects.toMatchObject({ code: 'EMAIL_INVALID' });
  });
});
