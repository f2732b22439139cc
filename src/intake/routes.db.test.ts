import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { TEST_ADMIN_TOKEN, testConfig } from '../../test/config.js';
import { leadEvents, leads } from '../db/index.js';
import { buildApp } from '../../test/app.js';

let tdb: TestDb;
let app: FastifyInstance;
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

const config = testConfig({
  forms: {
    default: {
      key: 'default', title: 'Site', mode: 'complex', dealName: '{{name}}', tags: [], fields: {},
      extraFields: [], note: true, honeypot: 'website',
    },
    'asia-deals': {
      key: 'asia-deals', title: 'Asia', mode: 'complex', dealName: '{{name}}', tags: [], note: true,
      fields: { direction: { entity: 'leads', field: 'training_direction' } }, extraFields: ['budget'], honeypot: 'company_site',
    },
  },
});

beforeAll(async () => {
  tdb = await createTestDb();
  app = await buildApp({ config, db: tdb });
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

async function rowsFor(id: string) {
  const [lead] = await tdb.db.select().from(leads).where(eq(leads.id, id));
  const events = await tdb.db.select().from(leadEvents).where(eq(leadEvents.leadId, id));
  return { lead, events };
}

describe('POST /api/leads', () => {
  it('answers 202 once the JSON lead and its received event are committed', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/leads',
      payload: {
        name: '  Анна  ', phone: '8 912 345-67-89', email: 'Anna@Example.COM', message: 'hi', utm_source: 'google',
        gclid: 'abc', first_touch: { utm_source: 'fb', at: '2026-01-01' }, consent: { given: true, text_version: 'v3' },
        colour: 'blue',
      },
    });
    expect(res.statusCode).toBe(202);
    const body = res.json() as { id: string; status: string };
    expect(body.status).toBe('pending');
    const { lead, events } = await rowsFor(body.id);
    expect(lead).toMatchObject({
      formKey: 'default', status: 'pending', name: 'Анна', phone: '+79123456789', email: 'anna@example.com',
      raw: { colour: 'blue' }, attribution: { utm_source: 'google', gclid: 'abc', first_touch: { utm_source: 'fb', at: '2026-01-01' } },
    });
    expect(lead?.consent).toMatchObject({ given: true, text_version: 'v3' });
    expect(lead?.consent?.at).toBeTypeOf('string');
    expect(events.map((e) => e.type)).toEqual(['received']);
  });

  it('accepts an urlencoded form with nested keys and per-form extra fields', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/leads',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'form=asia-deals&name=Ivan&phone=%2B7%20(912)%20345-67-89&direction=yoga&budget=100&consent[given]=on&extra[city]=Omsk&x=1',
    });
    expect(res.statusCode).toBe(202);
    const { lead, events } = await rowsFor(res.json().id);
    expect(lead).toMatchObject({
      formKey: 'asia-deals', phone: '+79123456789', extra: { direction: 'yoga', budget: '100', city: 'Omsk' }, raw: { x: '1' },
    });
    expect(lead?.consent?.given).toBe(true);
    expect(events).toHaveLength(1);
  });

  it('accepts the trailing-slash path', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads/', payload: { email: 'slash@example.com' } });
    expect(res.statusCode).toBe(202);
  });

  it('returns the same lead for a resubmit with the same Idempotency-Key header', async () => {
    const send = () =>
      app.inject({ method: 'POST', url: '/api/leads', headers: { 'idempotency-key': 'hdr-1' }, payload: { phone: '+79123456789' } });
    const first = await send();
    const second = await send();
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    const rows = await tdb.db.select().from(leads).where(eq(leads.idempotencyKey, 'hdr-1'));
    expect(rows).toHaveLength(1);
  });

  it('treats the idempotency_key field like the header', async () => {
    const payload = { phone: '+79123456789', idempotency_key: 'field-1' };
    const a = await app.inject({ method: 'POST', url: '/api/leads', payload });
    const b = await app.inject({ method: 'POST', url: '/api/leads', payload });
    expect(b.json().id).toBe(a.json().id);
  });

  it('stores exactly one row for concurrent resubmits', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.inject({ method: 'POST', url: '/api/leads', headers: { 'idempotency-key': 'race-1' }, payload: { email: 'race@example.com' } }),
      ),
    );
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.statusCode === 202)).toHaveLength(1);
    const rows = await tdb.db.select().from(leads).where(eq(leads.idempotencyKey, 'race-1'));
    expect(rows).toHaveLength(1);
    const events = await tdb.db.select().from(leadEvents).where(eq(leadEvents.leadId, rows[0]!.id));
    expect(events).toHaveLength(1);
  });

  it.each([
    ['8 912 345-67-89', 'RU', '+79123456789'],
    ['79123456789', 'RU', '+79123456789'],
    ['+7 (912) 345-67-89', 'RU', '+79123456789'],
    ['030 1234567', 'DE', '+49301234567'],
  ])('normalises phone %s (country %s) to %s', async (phone, country, e164) => {
    const c = testConfig({}, { LEADBRIDGE_DEFAULT_COUNTRY: country });
    const local = await buildApp({ config: c, db: tdb });
    try {
      const res = await local.inject({ method: 'POST', url: '/api/leads', payload: { phone } });
      expect(res.statusCode).toBe(202);
      const { lead } = await rowsFor(res.json().id);
      expect(lead?.phone).toBe(e164);
    } finally {
      await local.close();
    }
  });

  it('answers 422 problem+json listing every bad field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/leads',
      payload: { phone: '12', email: 'not-an-email', name: 'x'.repeat(201), form: 'nope', consent: { given: 'maybe' } },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort()).toEqual(
      ['consent:CONSENT_INVALID', 'email:EMAIL_INVALID', 'form:FORM_UNKNOWN', 'name:TOO_LONG', 'phone:PHONE_INVALID'].sort(),
    );
  });

  it('requires a phone or an email', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { name: 'Only a name' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { code: string }) => e.code)).toEqual(['CONTACT_REQUIRED', 'CONTACT_REQUIRED']);
  });

  it('answers 422 for NUL characters anywhere in the body and stores nothing', async () => {
    const before = await tdb.executeSql('select count(*)::int as n from leads');
    const res = await app.inject({
      method: 'POST',
      url: '/api/leads',
      payload: { phone: '+79123456789', name: 'Iv\u0000an', extra: { note: ['ok', 'b\u0000d'] }, ['k\u0000ey']: 'x' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort()).toEqual(
      ['extra.note.1:NUL_CHARACTER', 'key:NUL_CHARACTER', 'name:NUL_CHARACTER'].sort(),
    );
    const after = await tdb.executeSql('select count(*)::int as n from leads');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads', headers: { 'content-type': 'application/json' }, payload: '{"phone":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'MALFORMED_BODY', status: 400 });
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads', payload: [1, 2] });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MALFORMED_BODY');
  });

  it('stores a filled honeypot as spam, answers 202, and writes a spam event', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { phone: '+79123456789', website: 'http://spam' } });
    expect(res.statusCode).toBe(202);
    expect(res.json().status).toBe('pending');
    const { lead, events } = await rowsFor(res.json().id);
    expect(lead?.status).toBe('spam');
    expect(events.map((e) => e.type)).toEqual(['spam']);
  });

  it('uses the per-form honeypot name', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/leads', payload: { form: 'asia-deals', phone: '+79123456789', company_site: 'x' },
    });
    const { lead } = await rowsFor(res.json().id);
    expect(lead?.status).toBe('spam');
  });

  it('answers 413 with a code for an oversized body', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { phone: '+79123456789', message: 'x'.repeat(70 * 1024) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'BODY_TOO_LARGE', status: 413 });
  });
});

describe('POST /api/crm (FitZone alias)', () => {
  it('maps {name, phone, direction, message} to form fitzone with extra.direction', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/crm', payload: { name: 'Олег', phone: '+7 (999) 123-45-67', direction: 'Йога', message: 'утро' },
    });
    expect(res.statusCode).toBe(202);
    const { lead } = await rowsFor(res.json().id);
    expect(lead).toMatchObject({ formKey: 'fitzone', phone: '+79991234567', extra: { direction: 'Йога' }, message: 'утро' });
  });
});

describe('GET /api/leads/:id', () => {
  it('answers 401 without or with a wrong bearer token', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/leads', payload: { email: 'a@b.co' } });
    const url = `/api/leads/${created.json().id}`;
    const none = await app.inject({ method: 'GET', url });
    const wrong = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer nope' } });
    for (const res of [none, wrong]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('shows the state and the delivery timeline', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/leads', payload: { email: 'view@example.com' } });
    const res = await app.inject({ method: 'GET', url: `/api/leads/${created.json().id}`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: created.json().id, status: 'pending', email: 'view@example.com', amo_lead_id: null, amo_contact_id: null,
      timeline: [{ type: 'received' }],
    });
  });

  it('embeds the synced amoCRM deal of a delivered lead', async () => {
    const seen: number[] = [];
    const deal = {
      pipeline_id: 7, status_id: 142, responsible_user_id: 5, price: 100, is_won: true, is_lost: false, is_deleted: false,
      fields: {}, updated_at: '2026-01-01T00:00:00.000Z',
      stages: [{ pipeline_id: 7, status_id: 142, entered_at: '2026-01-01T00:00:00.000Z', left_at: null, seconds: 3 }],
    };
    const local = await buildApp({ config, db: tdb, dealView: async (amoLeadId) => (seen.push(amoLeadId), deal) });
    try {
      const created = await local.inject({ method: 'POST', url: '/api/leads', payload: { email: 'deal@example.com' } });
      const id = created.json().id as string;
      const pending = await local.inject({ method: 'GET', url: `/api/leads/${id}`, headers: admin });
      expect(pending.json().deal).toBeNull(); // not delivered: no deal to look up
      await tdb.db.update(leads).set({ status: 'delivered', amoLeadId: 4242 }).where(eq(leads.id, id));
      const res = await local.inject({ method: 'GET', url: `/api/leads/${id}`, headers: admin });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ amo_lead_id: 4242, deal });
      expect(seen).toEqual([4242]);
    } finally {
      await local.close();
    }
  });

  it('answers 404 problem for an unknown id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await app.inject({ method: 'GET', url: `/api/leads/${id}`, headers: admin });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('LEAD_NOT_FOUND');
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with a code above the per-IP limit', async () => {
    const local = await buildApp({ config: { ...config, rateLimit: { perIpPerMinute: 2 } }, db: tdb });
    try {
      const send = () => local.inject({ method: 'POST', url: '/api/leads', payload: { email: 'rl@example.com' } });
      expect((await send()).statusCode).toBe(202);
      expect((await send()).statusCode).toBe(202);
      const third = await send();
      expect(third.statusCode).toBe(429);
      expect(third.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(third.headers['retry-after']).toBeDefined();
    } finally {
      await local.close();
    }
  });
});
