// The dashboard in real Chromium (playwright-core + Debian's /usr/bin/chromium) against the real server on a free
// port: sign in, the overview shows leads just posted, funnel and sources show what the API says, ru ↔ en, CSV
// export, replay from the UI, what a viewer cannot do, sign out. Writes a screenshot of every page to
// docs/screenshots/ and prints the first page load time.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../test/browser.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { addTestUsers, ADMIN, dashboardApp, VIEWER } from '../../test/dashboard.js';
import { insertAnalyticsFixture, LEAD } from '../../test/analytics-fixture.js';
import { leads } from '../db/index.js';
import { WEB_DIST } from './ui.js';

let tdb: TestDb;
let app: FastifyInstance;
let browser: Browser;
let base: string;
const SHOTS = join(process.cwd(), 'docs', 'screenshots');
const RANGE = { from: '2026-03-01', to: '2026-03-20' };

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, 'index.html'))) execSync('npm run build:web', { stdio: 'inherit' });
  tdb = await createTestDb();
  await insertAnalyticsFixture(tdb.db);
  await addTestUsers(tdb);
  // The real clock: leads posted now are "today".
  ({ app } = await dashboardApp(tdb, { now: Date.now }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await launchChromium();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await tdb?.cleanup();
});

async function newPage(lang: 'ru-RU' | 'en-US' = 'ru-RU'): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ locale: lang, viewport: { width: 1366, height: 860 }, acceptDownloads: true, timezoneId: 'Europe/Moscow' });
  ctx.setDefaultTimeout(90_000);
  return { ctx, page: await ctx.newPage() };
}

async function signIn(page: Page, user: { email: string; password: string }) {
  await page.goto(`${base}/`);
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-title').waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function setRange(page: Page) {
  await page.getByTestId('range-from').fill(RANGE.from);
  await page.getByTestId('range-to').fill(RANGE.to);
}

/** The text of every body row of a table, cell by cell. */
async function tableRows(page: Page, testId: string): Promise<string[][]> {
  return page.getByTestId(testId).locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}

const nf = (n: number, digits = 0) => new Intl.NumberFormat('ru-RU', { maximumFractionDigits: digits }).format(n);

describe('dashboard in Chromium', () => {
  it('admin: sign in, overview with the leads just posted, funnel and sources match the API, ru ↔ en, CSV, replay, sign out', async () => {
    const { ctx, page } = await newPage();
    try {
      // The sign-in page in Russian (the browser's language).
      await page.goto(`${base}/`);
      expect(page.url()).toBe(`${base}/dashboard/`);
      await page.getByTestId('login-submit').waitFor();
      expect(await page.textContent('form')).toContain('Вход в панель');
      await shot(page, 'login');
      await signIn(page, ADMIN);

      // Post three leads now; the overview (reloaded) counts them today.
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { name: `Тест ${i}`, phone: `+7912555000${i}`, utm_source: 'vk', utm_medium: 'social' } });
        expect(res.statusCode).toBeLessThan(300);
      }
      const t0 = Date.now();
      await page.goto(`${base}/dashboard/`);
      await page.getByTestId('leads-today').locator('.stat-value').filter({ hasText: /^\d+$/ }).waitFor();
      const firstLoadMs = Date.now() - t0;
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) };
      });
      console.log(`dashboard first page load (navigation → overview numbers rendered): ${firstLoadMs} ms; DOMContentLoaded ${nav.domContentLoaded} ms, load ${nav.load} ms`);
      expect(await page.getByTestId('leads-today').locator('.stat-value').textContent()).toBe('3');
      const api = (await (await page.request.get(`${base}/api/analytics/overview?tz=Europe/Moscow`)).json()) as { statuses: Record<string, number> };
      expect(await page.getByTestId('delivered').locator('.stat-value').textContent()).toBe(nf(api.statuses.delivered ?? 0));
      expect(await page.getByTestId('followups').textContent()).toContain('не подключён');
      await page.getByTestId('leads-chart').locator('canvas').waitFor();
      await shot(page, 'overview');

      // Funnel: the table shows the API's numbers.
      await page.getByTestId('nav-funnel').click();
      await setRange(page);
      const funnel = (await (await page.request.get(`${base}/api/analytics/funnel?from=${RANGE.from}&to=${RANGE.to}&tz=Europe/Moscow`)).json()) as {
        deals: number;
        won: number;
        stages: { name: string; reached: number }[];
      };
      expect(funnel.deals).toBe(4);
      await page.getByTestId('funnel-deals').locator('.stat-value').filter({ hasText: String(funnel.deals) }).waitFor();
      const fr = await tableRows(page, 'funnel-table');
      expect(fr.map((r) => [r[0], r[1]])).toEqual(funnel.stages.map((s) => [s.name, nf(s.reached)]));
      const pc = (v: number) => new Intl.NumberFormat('ru-RU', { style: 'percent', maximumFractionDigits: 1 }).format(v);
      expect(fr.map((r) => r[2])).toEqual(['—', pc(0.75), pc(1)]);
      expect(await page.getByTestId('funnel-won').locator('.stat-value').textContent()).toBe(String(funnel.won));
      await shot(page, 'funnel');

      // Sources, first touch: table rows equal the API rows.
      await page.getByTestId('nav-sources').click();
      await setRange(page);
      await page.getByTestId('sources-touch').selectOption('first');
      const src = (await (await page.request.get(`${base}/api/analytics/sources?touch=first&level=campaign&from=${RANGE.from}&to=${RANGE.to}&tz=Europe/Moscow`)).json()) as {
        rows: { source: string | null; leads: number; won: number; revenue: number }[];
      };
      await page.getByTestId('sources-table').locator('tbody tr').nth(src.rows.length - 1).waitFor();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=sources-table] tbody tr').length === n, src.rows.length);
      const sr = await tableRows(page, 'sources-table');
      expect(sr.map((r) => [r[0], r[3], r[5], r[6]])).toEqual(src.rows.map((r) => [r.source ?? '(нет)', nf(r.leads), nf(r.won), nf(r.revenue, 2)]));
      expect(sr.find((r) => r[0] === 'yandex' && r[2] === 'winter')?.[6]).toBe(nf(1000));
      await shot(page, 'sources');

      // English and back.
      await page.getByTestId('lang-en').click();
      expect(await page.getByTestId('page-title').textContent()).toBe('Sources');
      expect(await page.getByTestId('sources-table').locator('th').first().textContent()).toBe('Source');
      await shot(page, 'sources-en');
      await page.getByTestId('lang-ru').click();
      expect(await page.getByTestId('page-title').textContent()).toBe('Источники');

      // Leads: CSV export of the list (UTF-8 BOM, Cyrillic intact, one row per lead).
      await page.getByTestId('nav-leads').click();
      await page.getByTestId('leads-table').locator('tbody tr').nth(5).waitFor();
      await shot(page, 'leads');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('leads-table-csv').click()]);
      const csv = readFileSync((await download.path()) as string, 'utf8');
      expect(csv.charCodeAt(0)).toBe(0xfeff);
      const lines = csv.slice(1).trim().split('\r\n');
      expect(lines[0]?.split(',').slice(0, 7)).toEqual(['id', 'created_at', 'form', 'status', 'name', 'phone', 'email']);
      expect(lines).toHaveLength(1 + 10 + 3);
      expect(csv).toContain('Иван Петров');
      expect(csv).toContain('Тест 2');

      // A lead's page: timeline and stage history.
      await page.goto(`${base}/dashboard/leads/${LEAD.L4}`);
      await page.getByTestId('stage-history').locator('tbody tr').nth(4).waitFor();
      const stages = await tableRows(page, 'stage-history');
      expect(stages.map((r) => r[0])).toEqual(['Новый лид', 'Первичный контакт', 'Новый лид', 'Первичный контакт', 'Успешно реализовано']);
      expect(stages[1]?.[3]).toBe('6 ч 0 мин');
      await shot(page, 'lead');

      await page.getByTestId('nav-managers').click();
      await setRange(page);
      await page.getByTestId('managers-table').getByText('Анна').waitFor();
      const mr = await tableRows(page, 'managers-table');
      expect(mr.find((r) => r[0] === 'Анна')?.slice(1, 4)).toEqual(['2', '1', '1']);
      await shot(page, 'managers');

      // Delivery: replay the dead lead from the UI.
      await page.getByTestId('nav-delivery').click();
      await setRange(page);
      await page.getByTestId(`replay-${LEAD.L9}`).click();
      await page.getByTestId('replay-done').waitFor();
      const [row] = await tdb.db.select({ status: leads.status }).from(leads).where(eq(leads.id, LEAD.L9));
      expect(row?.status).toBe('pending');
      await page.waitForFunction((id) => !document.querySelector(`[data-testid="replay-${id}"]`), LEAD.L9);
      await shot(page, 'delivery');

      // Sign out: back to the sign-in form, and the API refuses the old cookie.
      await page.getByTestId('sign-out').click();
      await page.getByTestId('login-submit').waitFor();
      expect((await page.request.get(`${base}/api/analytics/overview`)).status()).toBe(401);
    } finally {
      await ctx.close();
    }
  }, 600_000);

  it('viewer: no personal data on screen or in the CSV, no replay button, replay refused by the API', async () => {
    const { ctx, page } = await newPage('en-US');
    try {
      await signIn(page, VIEWER);
      expect(await page.getByTestId('page-title').textContent()).toBe('Overview');
      await page.getByTestId('nav-leads').click();
      await page.getByTestId('leads-table').locator('tbody tr').nth(3).waitFor();
      const headers = await page.getByTestId('leads-table').locator('th').allTextContents();
      expect(headers).not.toContain('Phone');
      expect(await page.getByTestId('leads-table').textContent()).not.toContain('+7912');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('leads-table-csv').click()]);
      const csv = readFileSync((await download.path()) as string, 'utf8');
      expect(csv.split('\r\n')[0]).not.toMatch(/phone|email|name/);
      expect(csv).not.toContain('+7912');
      expect(csv).not.toContain('Иван');
      await page.getByTestId('nav-delivery').click();
      await page.getByTestId('stuck-table').locator('tbody tr').first().waitFor();
      expect(await page.locator('[data-testid^="replay-"]').count()).toBe(0);
      const session = (await (await page.request.get(`${base}/api/dashboard/session`)).json()) as { csrfToken: string };
      const res = await page.request.post(`${base}/api/dashboard/leads/${LEAD.L5}/replay`, { headers: { 'x-csrf-token': session.csrfToken } });
      expect(res.status()).toBe(403);
      await shot(page, 'delivery-viewer');
    } finally {
      await ctx.close();
    }
  }, 300_000);
});
