// Test helpers for the dashboard: the app with the dashboard wired (fixed clock, a fixed amoCRM catalog), users,
// and signing in through the real login route.
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Db } from '../src/db/index.js';
import type { CatalogSource } from '../src/analytics/index.js';
import { testConfig } from './config.js';
import { addUser, createDashboard, type DashboardDeps } from '../src/dashboard/index.js';

export const NOW = Date.parse('2026-03-20T12:00:00Z');

export const TEST_CATALOG: CatalogSource = {
  pipelines: async () => [
    {
      id: 100,
      name: 'Asia Deals',
      isMain: true,
      stages: [
        { id: 143, name: 'Закрыто и не реализовано', sort: 10000 },
        { id: 30, name: 'Встреча', sort: 30 },
        { id: 10, name: 'Новый лид', sort: 10 },
        { id: 20, name: 'Первичный контакт', sort: 20 },
        { id: 142, name: 'Успешно реализовано', sort: 10000 },
      ],
    },
    { id: 200, name: 'FitZone', isMain: false, stages: [{ id: 300, name: 'Заявка', sort: 10 }] },
  ],
  users: async () => [
    { id: 501, name: 'Анна' },
    { id: 502, name: 'Борис' },
    { id: 503, name: 'Вера' },
  ],
};

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
export const VIEWER = { email: 'viewer@example.com', password: 'viewer-password-1' };

export async function dashboardApp(db: Db, extra: Partial<DashboardDeps> = {}): Promise<{ app: FastifyInstance; replayed: string[] }> {
  const replayed: string[] = [];
  const dashboard = createDashboard({
    db: db.db,
    account: 'default',
    sandbox: false,
    catalogSource: TEST_CATALOG,
    now: () => NOW,
    onReplayed: () => replayed.push('wake'),
    ...extra,
  });
  const app = await buildApp({ config: testConfig(), db, extraRoutes: [() => dashboard.routes()], now: () => NOW });
  return { app, replayed };
}

export async function addTestUsers(db: Db): Promise<void> {
  await addUser(db.db, { ...ADMIN, role: 'admin' });
  await addUser(db.db, { ...VIEWER, role: 'viewer' });
}

export interface Signed {
  cookie: string;
  csrf: string;
  headers: { cookie: string; 'x-csrf-token': string };
}

export async function signInAs(app: FastifyInstance, user: { email: string; password: string }, ip = '10.0.0.1'): Promise<Signed> {
  const res = await app.inject({ method: 'POST', url: '/api/dashboard/login', payload: user, remoteAddress: ip });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie']);
  const cookie = setCookie.split(';')[0] as string;
  const csrf = (res.json() as { csrfToken: string }).csrfToken;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}
