// Capture surfaces through the real app (inject) on a real database: the widget's definition and submit endpoint,
// Tilda, the generic mapping for two builders, Google Ads and Meta (with a local fake Graph API over HTTP).
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureConfig, GOOGLE_KEY, META, TILDA_KEY } from '../../test/capture-config.js';
import { TEST_ADMIN_TOKEN } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { buildWidget } from '../../widget/build.js';
import { buildApp } from '../../test/app.js';
import { createCapture } from './index.js';

let tdb: TestDb;
let app: FastifyInstance;
let graph: Server;
const graphCalls: string[] = [];

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

async function leadView(id: string) {
  const res = await app.inject({ method: 'GET', url: `/api/leads/${id}`, headers: admin });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function leadsOf(formKey: string) {
  const r = await tdb.db.execute(`select id::text, source, status, name, phone, email, extra, attribution, idempotency_key from leads where form_key = '${formKey}' order by created_at`);
  return (r as unknown as { rows: Record<string, unknown>[] }).rows;
}

beforeAll(async () => {
  graph = createServer((req, res) => {
    graphCalls.push(req.url ?? '');
    const id = /\/v21\.0\/(\d+)\?/.exec(req.url ?? '')?.[1];
    if (!id || !req.url?.includes(`access_token=${META.pageToken}`) || id === '500') {
      res.writeHead(id === '500' ? 500 : 400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        created_time: '2025-01-01T10:00:00+0000',
        id,
        field_data: [
          { name: 'full_name', values: ['Anna Meta'] },
          { name: 'phone_number', values: ['+79161234567'] },
          { name: 'city', values: ['Москва'] },
        ],
      }),
    );
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', r));
  const config = captureConfig({ graphUrl: `http://127.0.0.1:${(graph.address() as AddressInfo).port}` });
  tdb = await createTestDb();
  const widgetFile = join(mkdtempSync(join(tmpdir(), 'leadbridge-widget-')), 'widget.js');
  await buildWidget(widgetFile);
  app = await buildApp({ config, db: tdb, extraRoutes: [(ctx) => createCapture({ config, widgetFile }).routes(ctx)] });
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
  await new Promise((r) => graph?.close(r));
});

describe('widget endpoints', () => {
  it('GET /api/forms/:key gives the public definition with ru/en labels, consent text and version; unknown → 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/forms/fitzone', headers: { origin: 'https://any.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const def = res.json();
    expect(def).toMatchObject({ key: 'fitzone', honeypot: 'website', submit_url: '/api/forms/fitzone/submit', consent: { version: 'fitzone-pd-2025-09', required: true } });
    expect(def.fields.map((f: { name: string }) => f.name)).toEqual(['name', 'phone', 'direction', 'message']);
    expect(def.fields[2].label).toEqual({ ru: 'Направление тренировки', en: 'Training type' });
    expect(JSON.stringify(def)).not.toMatch(/api_key|secret/);
    const missing = await app.inject({ method: 'GET', url: '/api/forms/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('FORM_NOT_FOUND');
  });

  it('refuses a not-allowed origin (403, no CORS header, nothing stored) and accepts an allowed one', async () => {
    const body = JSON.stringify({ name: 'Пётр', phone: '+7 912 000-11-22', consent: { given: true, text_version: 'test-v1' }, idempotency_key: 'o-1' });
    const bad = await app.inject({ method: 'POST', url: '/api/forms/partner/submit', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, payload: body });
    expect(bad.statusCode).toBe(403);
    expect(bad.json().code).toBe('ORIGIN_NOT_ALLOWED');
    expect(bad.headers['access-control-allow-origin']).toBeUndefined();
    const def = await app.inject({ method: 'GET', url: '/api/forms/partner', headers: { origin: 'https://evil.example' } });
    expect(def.statusCode).toBe(403);
    expect(await leadsOf('partner')).toHaveLength(0);

    const ok = await app.inject({ method: 'POST', url: '/api/forms/partner/submit', headers: { origin: 'https://partner.example', 'content-type': 'text/plain' }, payload: body });
    expect(ok.statusCode).toBe(202);
    expect(ok.headers['access-control-allow-origin']).toBe('https://partner.example');
    const lead = await leadView(ok.json().id);
    expect(lead).toMatchObject({ source: 'widget', status: 'pending', phone: '+79120001122', consent: { given: true, text_version: 'test-v1' } });
  });

  it('requires the consent checkbox when the form has one, and stores a too-fast submission as spam', async () => {
    const noConsent = await app.inject({ method: 'POST', url: '/api/forms/fitzone/submit', payload: { name: 'A', phone: '+79120001133' } });
    expect(noConsent.statusCode).toBe(422);
    expect(noConsent.json().errors).toEqual([expect.objectContaining({ field: 'consent', code: 'CONSENT_REQUIRED' })]);
    const fast = await app.inject({
      method: 'POST',
      url: '/api/forms/fitzone/submit',
      payload: { name: 'Bot', phone: '+79120001144', consent: { given: true, text_version: 'fitzone-pd-2025-09' }, fill_ms: 40, idempotency_key: 'fast-1' },
    });
    expect(fast.statusCode).toBe(202);
    expect(fast.json().status).toBe('pending'); // bots learn nothing
    const lead = await leadView(fast.json().id);
    expect(lead.status).toBe('spam');
    expect(lead.timeline[0]).toMatchObject({ type: 'spam', detail: { spam_reason: 'too_fast', source: 'widget' } });
  });

  it('serves widget.js with a short cache and CORS, and the versioned URL as immutable', async () => {
    const res = await app.inject({ method: 'GET', url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const version = String(res.headers['x-widget-version']);
    const pinned = await app.inject({ method: 'GET', url: `/widget/${version}.js` });
    expect(pinned.statusCode).toBe(200);
    expect(pinned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(pinned.body).toBe(res.body);
    expect((await app.inject({ method: 'GET', url: '/widget/000000000000.js' })).statusCode).toBe(404);
  });
});

describe('Tilda', () => {
  const body = {
    Name: 'Анна',
    Phone: '+7 (916) 123-45-67',
    Email: 'Anna@Example.com',
    Direction: 'Йога',
    Comments: 'Вечером',
    tranid: '1234567:6161583731',
    formid: 'form42581206',
    formname: 'Заявка',
    COOKIES: 'tildauid=1700000000000.123456; _ga=GA1.1.1234567890.1700000000; _ym_uid=1700000000123456789; TILDAUTM=utm_source%3Dyandex%7C%7C%7Cutm_medium%3Dcpc%7C%7C%7Cutm_campaign%3Dspring',
    api_key: TILDA_KEY,
  };

  it('answers the test request with 200 "ok" and stores nothing', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/hooks/tilda/tilda', headers: FORM_TYPE, payload: form({ test: 'test', api_key: TILDA_KEY }) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('ok');
    expect(await leadsOf('tilda')).toHaveLength(0);
  });

  it('a wrong or missing API key → 401', async () => {
    for (const key of ['wrong', '']) {
      const res = await app.inject({ method: 'POST', url: '/api/hooks/tilda/tilda', headers: FORM_TYPE, payload: form({ ...body, api_key: key }) });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('UNAUTHORIZED');
    }
    expect(await leadsOf('tilda')).toHaveLength(0);
  });

  it('a real-format body → one lead with UTM from TILDAUTM and analytics ids from COOKIES; the same tranid again → still one', async () => {
    const first = await app.inject({ method: 'POST', url: '/api/hooks/tilda/tilda', headers: FORM_TYPE, payload: form(body) });
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe('ok');
    // Tilda's retry (same tranid), with the key in the query or a header instead of a field
    const { api_key: _key, ...noKey } = body;
    const viaQuery = await app.inject({ method: 'POST', url: `/api/hooks/tilda/tilda?api_key=${TILDA_KEY}`, headers: FORM_TYPE, payload: form(noKey) });
    expect(viaQuery.statusCode).toBe(200);
    const viaHeader = await app.inject({ method: 'POST', url: '/api/hooks/tilda/tilda', headers: { ...FORM_TYPE, api_key: TILDA_KEY }, payload: form(noKey) });
    expect(viaHeader.statusCode).toBe(200);
    const rows = await leadsOf('tilda');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'tilda',
      name: 'Анна',
      phone: '+79161234567',
      email: 'anna@example.com',
      idempotency_key: 'tilda:form42581206:1234567:6161583731',
      extra: { direction: 'Йога' },
      attribution: { utm_source: 'yandex', utm_medium: 'cpc', utm_campaign: 'spring', ga_client_id: '1234567890.1700000000', ym_client_id: '1700000000123456789' },
    });
    const view = await leadView(String(rows[0]?.id));
    expect(view.message).toBe('Вечером');
    expect(view.raw.tilda).toMatchObject({ formid: 'form42581206', formname: 'Заявка', cookies: ['tildauid', '_ga', '_ym_uid', 'TILDAUTM'] });
  });

  it('a Tilda body without phone or email → 422 with the field codes', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/hooks/tilda/tilda', headers: FORM_TYPE, payload: form({ Name: 'X', tranid: '1:2', api_key: TILDA_KEY }) });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { code: string }) => e.code)).toContain('CONTACT_REQUIRED');
  });
});

describe('generic mapping', () => {
  it('Elementor Pro (simple mode, form-encoded, fields named by label): mapped, constant utm_source; a resend of the same body → one lead', async () => {
    const payload = form({ Имя: 'Олег', Телефон: '8 912 345-67-89', Email: 'oleg@example.com', Сообщение: 'Перезвоните', form_id: 'a1b2c3', form_name: 'Заявка', page_url: 'https://site.example/contacts' });
    const a = await app.inject({ method: 'POST', url: '/api/hooks/generic/elementor', headers: FORM_TYPE, payload });
    expect(a.statusCode).toBe(202);
    const b = await app.inject({ method: 'POST', url: '/api/hooks/generic/elementor', headers: FORM_TYPE, payload });
    expect(b.statusCode).toBe(200);
    expect(b.json().id).toBe(a.json().id);
    const rows = await leadsOf('elementor');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: 'generic', name: 'Олег', phone: '+79123456789', email: 'oleg@example.com', attribution: { utm_source: 'wordpress', page_url: 'https://site.example/contacts' } });
  });

  it('Marquiz (JSON, nested paths, a list matched by question, id dedup, token)', async () => {
    const quiz = {
      id: '65f1c0ffee',
      created: '2025-03-01T10:00:00Z',
      contacts: { name: 'Ирина', phone: '+7 903 111-22-33', email: 'irina@example.com' },
      answers: [
        { q: 'Какой объект ищете?', a: 'Вилла' },
        { q: 'Ваш бюджет', a: 'до $300 000' },
      ],
      quiz: { id: 'q1', name: 'Подбор виллы' },
      extra: { utm: { source: 'instagram', campaign: 'bali' }, href: 'https://quiz.example/bali' },
    };
    const noToken = await app.inject({ method: 'POST', url: '/api/hooks/generic/marquiz', payload: quiz });
    expect(noToken.statusCode).toBe(401);
    const a = await app.inject({ method: 'POST', url: '/api/hooks/generic/marquiz?token=marquiz-token', payload: quiz });
    expect(a.statusCode).toBe(202);
    const b = await app.inject({ method: 'POST', url: '/api/hooks/generic/marquiz', headers: { 'x-leadbridge-token': 'marquiz-token' }, payload: { ...quiz, created: 'later' } });
    expect(b.json().id).toBe(a.json().id);
    const rows = await leadsOf('marquiz');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: 'Ирина',
      phone: '+79031112233',
      idempotency_key: 'generic:65f1c0ffee',
      extra: { budget: 'до $300 000', quiz: 'Подбор виллы' },
      attribution: { utm_source: 'instagram', utm_campaign: 'bali', page_url: 'https://quiz.example/bali' },
    });
  });
});

describe('Google Ads lead form webhook', () => {
  const lead = {
    lead_id: 'TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl',
    user_column_data: [
      { column_name: 'Full Name', string_value: 'FirstName LastName', column_id: 'FULL_NAME' },
      { column_name: 'User Phone', string_value: '+1-650-555-0123', column_id: 'PHONE_NUMBER' },
      { column_name: 'User Email', string_value: 'test@example.com', column_id: 'EMAIL' },
      { column_name: 'Which city?', string_value: 'Phuket' },
    ],
    api_version: '1.0',
    form_id: 123456789,
    campaign_id: 987654321,
    google_key: GOOGLE_KEY,
    is_test: false,
    gcl_id: 'TeSter-123-gclid',
    adgroup_id: 20000000000,
    creative_id: 30000000000,
  };

  it('checks google_key (401), answers the test data with 200 without storing, and stores a lead once per lead_id', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/hooks/google-ads/gads', payload: { ...lead, google_key: 'nope' } })).statusCode).toBe(401);
    const test = await app.inject({ method: 'POST', url: '/api/hooks/google-ads/gads', payload: { ...lead, is_test: true } });
    expect(test.statusCode).toBe(200);
    expect(await leadsOf('gads')).toHaveLength(0);
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'POST', url: '/api/hooks/google-ads/gads', payload: lead })).statusCode).toBe(200);
    const rows = await leadsOf('gads');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'google_ads',
      name: 'FirstName LastName',
      phone: '+16505550123',
      email: 'test@example.com',
      extra: { which_city: 'Phuket', google_campaign_id: '987654321', google_form_id: '123456789' },
      attribution: { gclid: 'TeSter-123-gclid', utm_source: 'google', utm_medium: 'lead_form', utm_campaign: '987654321' },
    });
  });
});

describe('Meta Lead Ads', () => {
  const sign = (raw: string, secret = META.appSecret) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  const note = (leadgenId: string) =>
    JSON.stringify({ object: 'page', entry: [{ id: '111', time: 1700000000, changes: [{ field: 'leadgen', value: { ad_id: '222', form_id: '333', leadgen_id: leadgenId, page_id: '111', created_time: 1700000000 } }] }] });

  it('verifies the subscription with the verify token', async () => {
    const ok = await app.inject({ method: 'GET', url: `/api/hooks/meta/meta?hub.mode=subscribe&hub.verify_token=${META.verifyToken}&hub.challenge=1158201444` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('1158201444');
    expect((await app.inject({ method: 'GET', url: '/api/hooks/meta/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1' })).statusCode).toBe(403);
  });

  it('checks X-Hub-Signature-256 (401), fetches the answers from the Graph API, stores once per leadgen_id', async () => {
    const raw = note('444444444444');
    const bad = await app.inject({ method: 'POST', url: '/api/hooks/meta/meta', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, 'other') }, payload: raw });
    expect(bad.statusCode).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/hooks/meta/meta', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) }, payload: raw });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('EVENT_RECEIVED');
    }
    expect(graphCalls.filter((u) => u.includes('/444444444444?'))).toHaveLength(2);
    const rows = await leadsOf('meta');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'meta',
      name: 'Anna Meta',
      phone: '+79161234567',
      idempotency_key: 'meta:444444444444',
      extra: { city: 'Москва', meta_form_id: '333', meta_ad_id: '222' },
      attribution: { utm_source: 'facebook', utm_medium: 'lead_ads' },
    });
  });

  it('a Graph API failure → 502 so Meta delivers again; nothing stored', async () => {
    const raw = note('500');
    const res = await app.inject({ method: 'POST', url: '/api/hooks/meta/meta', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) }, payload: raw });
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('UPSTREAM_FAILED');
    expect(await leadsOf('meta')).toHaveLength(1);
  });
});
