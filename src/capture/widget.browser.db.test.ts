// The embeddable form in real Chromium against the whole service (startServer: PGlite, the built-in amoCRM
// emulator, delivery). Test sites on other origins (second local HTTP servers) embed widget.js. Screenshots are
// written to test-results/screenshots/.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../../test/browser.js';
import { TILDA_KEY, writeCaptureConfig } from '../../test/capture-config.js';
import { pgliteDump } from '../../test/db.js';
import { buildWidget } from '../../widget/build.js';
import { startServer, type Server } from '../main.js';

const ADMIN = 'browser-test-admin-token-0123456789';
const LONG = 240_000;

let server: Server;
let api: string;
let emulator: string;
let browser: Browser;
let siteA: HttpServer;
let siteB: HttpServer;
let originA: string;
let originB: string;

function listen(s: HttpServer): Promise<string> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

/** A small third-party site: every page embeds widget.js from the Leadbridge origin; /contacts renders form `partner`. */
function site(): HttpServer {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const tag = path === '/contacts' ? `<script src="${api}/widget.js" data-form="partner" async></script>` : `<script src="${api}/widget.js" async></script>`;
    res.writeHead(path === '/favicon.ico' ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Partner ${path}</title></head>
<body style="font-family:sans-serif;padding:24px"><h1>Партнёрский сайт: ${path}</h1><p><a id="to-contacts" href="/contacts">Контакты</a> · <a id="to-home" href="/">Главная</a></p>${tag}</body></html>`);
  });
}

async function sql<T>(text: string): Promise<T[]> {
  const r = await server.db.db.execute(text);
  return (r as unknown as { rows: T[] }).rows;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 180_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function lead(id: string) {
  const res = await fetch(`${api}/api/leads/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

async function delivered(id: string) {
  return waitFor(`lead ${id} delivered`, async () => {
    const l = await lead(id);
    return l.amo_lead_id ? l : undefined;
  });
}

async function emulatorDeal(amoLeadId: number) {
  const state = (await (await fetch(`${emulator}/_emulator/state`)).json()) as { leads: { id: number; custom_fields_values?: { field_code?: string; values: { value: unknown }[] }[] }[] };
  const deal = state.leads.find((l) => l.id === amoLeadId);
  const fields: Record<string, unknown> = {};
  for (const f of deal?.custom_fields_values ?? []) if (f.field_code) fields[f.field_code] = f.values[0]?.value;
  return { deal, fields, all: state.leads };
}

async function leadIdsByPhone(phone: string): Promise<string[]> {
  return (await sql<{ id: string }>(`select id::text from leads where phone = '${phone}' order by created_at`)).map((r) => r.id);
}

async function fillPartner(page: Page, name: string, phone: string) {
  await page.waitForSelector('form[data-lb-ready] input[name="phone"]', { timeout: LONG });
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="phone"]', phone);
  await page.check('input[name="consent"]');
}

beforeAll(async () => {
  await buildWidget(); // dist/widget/widget.js, what the server serves (npm run build:widget)
  const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-browser-'));
  const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
  await seed.close();
  siteA = site();
  siteB = site();
  originA = await listen(siteA);
  originB = await listen(siteB);
  server = await startServer({
    env: {
      LEADBRIDGE_DATA_DIR: dataDir,
      LEADBRIDGE_CONFIG: writeCaptureConfig({ allowedOrigin: originA }),
      LEADBRIDGE_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
      LEADBRIDGE_EMULATOR_PORT: '0',
      LEADBRIDGE_RECONCILE_CRON: 'off',
    },
    port: 0,
    host: '127.0.0.1',
  });
  api = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const health = (await (await fetch(`${api}/health`)).json()) as { checks: { amocrm: { emulator_url: string } } };
  emulator = health.checks.amocrm.emulator_url;
  browser = await launchChromium();
}, LONG);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((r) => siteA?.close(r));
  await new Promise((r) => siteB?.close(r));
}, LONG);

describe('the embeddable form on another origin', () => {
  let ctx: BrowserContext;
  beforeAll(async () => {
    ctx = await browser.newContext({ viewport: { width: 900, height: 800 } });
  });
  afterAll(async () => ctx?.close());

  it(
    'UTM landing → second page → submit: first and last touch, consent with its version, page URL; delivered with UTM fields',
    async () => {
      const page = await ctx.newPage();
      await page.goto(`${originA}/?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale&gclid=TeSt-GcLiD-123`);
      await page.waitForFunction(() => !!localStorage.getItem('lb_attr'), undefined, { timeout: LONG });
      await page.click('#to-contacts');
      await page.waitForURL(`${originA}/contacts`);
      await fillPartner(page, 'Мария Браузерова', '+7 912 555-01-01');
      await page.screenshot({ path: screenshotPath('widget-partner-filled') });
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-ok', { timeout: LONG });
      await page.screenshot({ path: screenshotPath('widget-partner-sent') });

      const [id] = await leadIdsByPhone('+79125550101');
      expect(id).toBeDefined();
      const l = await lead(id as string);
      expect(l).toMatchObject({ source: 'widget', form: 'partner', name: 'Мария Браузерова', consent: { given: true, text_version: 'test-v1' } });
      const a = l.attribution;
      expect(a.first_touch).toMatchObject({ utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring_sale', gclid: 'TeSt-GcLiD-123', landing_page: `${originA}/?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale&gclid=TeSt-GcLiD-123` });
      expect(a.last_touch).toMatchObject({ utm_source: 'google', utm_campaign: 'spring_sale', gclid: 'TeSt-GcLiD-123' });
      expect(a).toMatchObject({ utm_source: 'google', utm_campaign: 'spring_sale', gclid: 'TeSt-GcLiD-123', page_url: `${originA}/contacts` });

      const d = await delivered(id as string);
      const { fields } = await emulatorDeal(d.amo_lead_id);
      expect(fields).toMatchObject({ UTM_SOURCE: 'google', UTM_MEDIUM: 'cpc', UTM_CAMPAIGN: 'spring_sale', GCLID: 'TeSt-GcLiD-123', LEADBRIDGE_ID: id });
    },
    LONG,
  );

  it(
    'network cut at submit → kept in the browser, sent on the next page view, stored once',
    async () => {
      const page = await ctx.newPage();
      await page.goto(`${originA}/contacts`);
      await fillPartner(page, 'Офлайн Тестов', '+7 912 555-02-02');
      const submit = `${api}/api/forms/partner/submit`;
      await page.route(submit, (route) => route.abort('internetdisconnected'));
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-ok', { timeout: LONG });
      expect(await page.textContent('.lb-status')).toContain('сохранена');
      expect(await page.evaluate(() => JSON.parse(localStorage.getItem('lb_queue') ?? '[]').length)).toBe(1);
      expect(await leadIdsByPhone('+79125550202')).toEqual([]);

      await page.unroute(submit);
      await page.click('#to-home'); // the next page view flushes the queue
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('lb_queue') ?? '[]').length === 0, undefined, { timeout: LONG });
      await page.reload();
      await page.waitForLoadState('load');
      const ids = await waitFor('the queued lead', async () => {
        const found = await leadIdsByPhone('+79125550202');
        return found.length > 0 ? found : undefined;
      });
      expect(ids).toHaveLength(1);
      const l = await lead(ids[0] as string);
      expect(l.attribution.first_touch).toMatchObject({ utm_source: 'google', gclid: 'TeSt-GcLiD-123' }); // same visitor, same storage
      await delivered(ids[0] as string);
      expect(await leadIdsByPhone('+79125550202')).toHaveLength(1);
    },
    LONG,
  );

  it(
    'a filled honeypot → stored as spam, never delivered',
    async () => {
      const page = await ctx.newPage();
      await page.goto(`${originA}/contacts`);
      await fillPartner(page, 'Бот Ботов', '+7 912 555-03-03');
      await page.evaluate(() => {
        (document.querySelector('input[name="website"]') as HTMLInputElement).value = 'http://spam.example';
      });
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-ok', { timeout: LONG }); // answered like any lead
      const [id] = await leadIdsByPhone('+79125550303');
      // A real lead submitted after it gets delivered: the worker has run past the spam one.
      await page.goto(`${originA}/contacts`);
      await fillPartner(page, 'Честный Клиент', '+7 912 555-04-04');
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-ok', { timeout: LONG });
      const [honest] = await leadIdsByPhone('+79125550404');
      await delivered(honest as string);
      const spam = await lead(id as string);
      expect(spam).toMatchObject({ status: 'spam', amo_lead_id: null });
      const { all } = await emulatorDeal(0);
      expect(all.some((d) => JSON.stringify(d).includes(id as string))).toBe(false);
    },
    LONG,
  );

  it(
    'an origin that is not allowed → refused: no form, and a direct post is rejected and stores nothing',
    async () => {
      const page = await browser.newPage();
      const warnings: string[] = [];
      page.on('console', (m) => warnings.push(m.text()));
      await page.goto(`${originB}/contacts`);
      await waitFor('the widget warning', async () => warnings.some((w) => w.includes('leadbridge: form "partner" is not available')));
      expect(await page.locator('form').count()).toBe(0);
      const result = await page.evaluate(async (url) => {
        try {
          const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'X', phone: '+79125550505', consent: { given: true } }) });
          return `status ${r.status}`;
        } catch (e) {
          return `blocked ${(e as Error).name}`;
        }
      }, `${api}/api/forms/partner/submit`);
      expect(result).toBe('blocked TypeError'); // the 403 carries no CORS header, so the page cannot even read it
      expect(await leadIdsByPhone('+79125550505')).toEqual([]);
      await page.close();
    },
    LONG,
  );
});

describe('landing pages', () => {
  it(
    '/l/fitzone renders in Russian and its form delivers the same lead as POST /api/crm',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${api}/l/fitzone?utm_source=vk&utm_campaign=fit_autumn`);
      await page.waitForSelector('form[data-lb-ready]', { timeout: LONG });
      expect(await page.textContent('h1')).toContain('FitZone');
      await page.screenshot({ path: screenshotPath('landing-fitzone'), fullPage: true });
      await page.fill('input[name="name"]', 'Иван Иванов');
      await page.fill('input[name="phone"]', '+7 (999) 123-45-67');
      await page.selectOption('select[name="direction"]', 'Йога');
      await page.fill('textarea[name="message"]', 'Хочу записаться на тренировку');
      await page.waitForTimeout(1600); // a person takes longer than the form's min_fill_ms
      await page.check('input[name="consent"]');
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-ok', { timeout: LONG });
      await page.screenshot({ path: screenshotPath('landing-fitzone-sent'), fullPage: true });
      const [id] = await leadIdsByPhone('+79991234567');
      const l = await delivered(id as string);
      expect(l).toMatchObject({ form: 'fitzone', source: 'widget', status: 'delivered', name: 'Иван Иванов', message: 'Хочу записаться на тренировку', extra: { direction: 'Йога' }, consent: { given: true, text_version: 'fitzone-pd-2025-09' } });
      const { fields } = await emulatorDeal(l.amo_lead_id);
      expect(fields).toMatchObject({ TRAINING_DIRECTION: 'Йога', LEAD_PHONE: '+79991234567', UTM_SOURCE: 'vk', UTM_CAMPAIGN: 'fit_autumn' });
      await page.close();
    },
    LONG,
  );

  it(
    '/l/asia-deals renders in Russian and its form delivers name, phone, email, property type and budget',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${api}/l/asia-deals`);
      await page.waitForSelector('form[data-lb-ready]', { timeout: LONG });
      await page.screenshot({ path: screenshotPath('landing-asia-deals'), fullPage: true });
      await page.fill('input[name="name"]', 'Тест Тестов');
      await page.fill('input[name="phone"]', '+79001234567');
      await page.fill('input[name="email"]', 'test@example.com');
      await page.selectOption('select[name="object"]', 'Вилла');
      await page.fill('input[name="object_cost"]', '250000');
      // Submitting without consent shows the error and sends nothing.
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-err', { timeout: LONG });
      await page.waitForTimeout(1600);
      await page.check('input[name="consent"]');
      await page.click('.lb-submit');
      await page.waitForSelector('.lb-status.lb-ok', { timeout: LONG });
      const [id] = await leadIdsByPhone('+79001234567');
      const l = await delivered(id as string);
      expect(l).toMatchObject({ form: 'asia-deals', email: 'test@example.com', extra: { object: 'Вилла', object_cost: '250000' }, consent: { text_version: 'asia-deals-pd-2025-09' } });
      const { deal, fields } = await emulatorDeal(l.amo_lead_id);
      expect(Number(fields.OBJECT_COST)).toBe(250000);
      expect(JSON.stringify(deal)).toContain('Вилла');
      await page.close();
    },
    LONG,
  );
});

describe('Tilda against the running service', () => {
  it(
    'a real-format body → one deal; the same tranid again → still one',
    async () => {
      const body = new URLSearchParams({ Name: 'Анна Тильда', Phone: '+7 (916) 765-43-21', Email: 'anna.tilda@example.com', tranid: '7654321:99', formid: 'form1', api_key: TILDA_KEY, utm_source: 'yandex' });
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${api}/api/hooks/tilda/tilda`, { method: 'POST', body });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('ok');
      }
      const ids = await leadIdsByPhone('+79167654321');
      expect(ids).toHaveLength(1);
      const l = await delivered(ids[0] as string);
      const { all, fields } = await emulatorDeal(l.amo_lead_id);
      expect(all.filter((d) => JSON.stringify(d).includes(ids[0] as string))).toHaveLength(1);
      expect(fields.UTM_SOURCE).toBe('yandex');
    },
    LONG,
  );
});
