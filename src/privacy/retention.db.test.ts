import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { consents, leadEvents, leads, webhookDeliveries, whatsappWebhooks } from '../db/index.js';
import { createLeadIntake } from '../intake/index.js';
import { createRetention } from './index.js';

let tdb: TestDb;

beforeAll(async () => {
  tdb = await createTestDb();
});

afterAll(async () => {
  await tdb?.cleanup();
});

const DAY = 86_400_000;

async function until(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('retention sweep', () => {
  it('deletes raw webhook bodies and spam leads past their days by the injected clock, never a pending body or a real lead', async () => {
    const intake = createLeadIntake({ db: tdb.db, defaultCountry: 'RU', forms: {}, groupCommit: false });
    const spam = await intake.accept({ name: 'bot', phone: '+79001112233', website: 'x', consent: { given: true } }, { ip: '192.0.2.1' });
    const real = await intake.accept({ name: 'Анна', phone: '+79001112234' });
    expect(spam.lead.status).toBe('spam');
    const t0 = Date.now();
    await tdb.db.insert(webhookDeliveries).values([
      { body: 'old-processed', bodyHash: 'r1', status: 'processed', receivedAt: new Date(t0) },
      { body: 'old-pending', bodyHash: 'r2', status: 'pending', receivedAt: new Date(t0) },
      { body: 'old-malformed', bodyHash: 'r3', status: 'malformed', receivedAt: new Date(t0) },
    ]);
    await tdb.db.insert(whatsappWebhooks).values({ account: 'default', status: 'processed', body: '{}', receivedAt: new Date(t0) });

    let clock = t0 + 29 * DAY;
    const retention = createRetention({ db: tdb.db, settings: { rawWebhookDays: 30, spamDays: 45 }, now: () => clock, batchSize: 1 });
    expect(await retention.sweep()).toEqual({ webhook_deliveries: 0, whatsapp_webhooks: 0, spam_leads: 0 });

    clock = t0 + 31 * DAY;
    expect(await retention.sweep()).toEqual({ webhook_deliveries: 2, whatsapp_webhooks: 1, spam_leads: 0 });
    expect((await tdb.db.select().from(webhookDeliveries)).map((d) => d.body)).toEqual(['old-pending']);

    clock = t0 + 46 * DAY;
    expect(await retention.sweep()).toEqual({ webhook_deliveries: 0, whatsapp_webhooks: 0, spam_leads: 1 });
    const left = await tdb.db.select().from(leads);
    expect(left.map((l) => l.id)).toEqual([real.lead.id]);
    // The spam lead's timeline and consent record went with it.
    expect(await tdb.db.select().from(leadEvents).where(sql`${leadEvents.leadId} = ${spam.lead.id}`)).toEqual([]);
    expect(await tdb.db.select().from(consents).where(sql`${consents.leadId} = ${spam.lead.id}`)).toEqual([]);

    // 0 = keep forever: nothing is deleted, and start() arms no timer.
    await tdb.db.insert(whatsappWebhooks).values({ account: 'default', status: 'processed', body: '{}', receivedAt: new Date(t0) });
    const keep = createRetention({ db: tdb.db, settings: { rawWebhookDays: 0, spamDays: 0 }, now: () => clock });
    expect(await keep.sweep()).toEqual({ webhook_deliveries: 0, whatsapp_webhooks: 0, spam_leads: 0 });
    keep.start();
    await keep.stop();
  });

  it('runs periodically once started and stop() clears the timer and waits for a sweep in progress', async () => {
    const t0 = Date.now();
    const clock = t0 + 100 * DAY;
    const retention = createRetention({ db: tdb.db, settings: { rawWebhookDays: 1, spamDays: 1 }, now: () => clock, firstDelayMs: 10, intervalMs: 20 });
    retention.start();
    await tdb.db.insert(whatsappWebhooks).values({ account: 'default', status: 'processed', body: 'later', receivedAt: new Date(t0) });
    await until(async () => (await tdb.db.select().from(whatsappWebhooks)).length === 0);
    const stopped = Date.now();
    await retention.stop();
    expect(Date.now() - stopped).toBeLessThan(30_000);
    // After stop nothing runs any more: a new old row stays.
    await tdb.db.insert(whatsappWebhooks).values({ account: 'default', status: 'processed', body: 'after-stop', receivedAt: new Date(t0) });
    await new Promise((r) => setTimeout(r, 300));
    expect((await tdb.db.select().from(whatsappWebhooks)).map((w) => w.body)).toEqual(['after-stop']);
  });
});
