// Test harness for delivery suites: a test database, the amoCRM emulator over real HTTP, an AmoClient using the
// PostgreSQL rate-limit store, the HTTP app (intake + admin replay) wired to a delivery worker.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../src/db/index.js';
import { Registry } from 'prom-client';
import { createTestDb, type TestDb } from './db.js';
import { TEST_ADMIN_TOKEN, testConfig } from './config.js';
import { AmoClient, longLivedTokenSet, MemoryTokenStore } from '../src/amocrm/index.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/amocrm-emulator/index.js';
import type { Config, FormConfig } from '../src/config/index.js';
import { PgRateLimitStore } from '../src/connect/rate-limit-store.js';
import { createRouting, RoutingSectionSchema, type Routing, type RoutingFileInput } from '../src/routing/index.js';
import { MARKER_FIELD_CODE } from '../src/delivery/build.js';
import { deliveryRoutes } from '../src/delivery/routes.js';
import { createDelivery, type Delivery, type DeliveryOptions } from '../src/delivery/worker.js';

export interface Harness {
  tdb: TestDb;
  emu: RunningEmulator;
  amo: AmoClient;
  app: FastifyInstance;
  delivery: Delivery;
  routing: Routing;
  metrics: Registry;
  config: Config;
  submit(body: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; id: string }>;
  lead(id: string): Promise<Record<string, any>>;
  admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; json: any }>;
  emuState(): { leads: any[]; contacts: any[]; notes: any[]; calls: { at: number; method: string; path: string; status: number }[] };
  waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export const HARNESS_SEARCH_LAG_MS = 3000;

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  forms?: Record<string, Partial<FormConfig>>;
  routingUsers?: number[];
  /** A `routing:` section (wins over routingUsers). */
  routing?: RoutingFileInput;
  /** Routing's clock (take-up tests move it forward). */
  now?: () => number;
  maxAttempts?: number;
  delivery?: DeliveryOptions;
  /** Create the LEADBRIDGE_ID lead field in the emulator (default true). */
  markerField?: boolean;
  amoTimeoutMs?: number;
  perSecond?: number;
  start?: boolean;
}

/** `buildApp` from src/http, passed in by the test (domains do not import the wiring layer). */
export type BuildAppFn = (deps: {
  config: Config;
  db: Db;
  metrics: Registry;
  onLeadCaptured: (leadId: string) => void;
  routingView?: (leadId: string) => Promise<any>;
  extraRoutes: ((ctx: { requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void> }) => FastifyPluginAsync)[];
}) => Promise<FastifyInstance>;

export function formConfig(key: string, f: Partial<FormConfig> = {}): FormConfig {
  return { key, title: key, mode: 'complex', dealName: '{{form_title}}: {{name}}', tags: [], fields: {}, extraFields: [], note: true, honeypot: 'website', ...f };
}

export async function startHarness(buildApp: BuildAppFn, o: HarnessOptions = {}): Promise<Harness> {
  const tdb = await createTestDb();
  // Hard by default: amoCRM's 7 requests/s (escalating to a 403 block) and a search index that lags 3 s.
  const emu = await startEmulator({ port: 0, searchLagMs: HARNESS_SEARCH_LAG_MS, ...o.emulator });
  const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
  const amo = new AmoClient({
    domain: emu.config.domain,
    baseUrl: emu.url,
    tokens: new MemoryTokenStore(longLivedTokenSet(access_token)),
    rateLimit: { store: new PgRateLimitStore(tdb.db), perSecond: o.perSecond ?? 7 },
    timeoutMs: o.amoTimeoutMs ?? 5000,
    circuit: { pauseMs: 1000 },
  });
  if (o.markerField ?? true) {
    await amo.customFields.create('leads', [{ name: 'Leadbridge ID', type: 'text', code: MARKER_FIELD_CODE }]);
  }
  const forms: Record<string, FormConfig> = {};
  for (const [k, f] of Object.entries(o.forms ?? { site: {} })) forms[k] = formConfig(k, f);
  const base = testConfig();
  const config: Config = {
    ...base,
    forms,
    routing: RoutingSectionSchema.parse(o.routing ?? { users: o.routingUsers ?? [] }),
    delivery: { ...base.delivery, maxAttempts: o.maxAttempts ?? base.delivery.maxAttempts },
  };
  const metrics = new Registry();
  const routing = createRouting({ db: tdb.db, amo, config: config.routing, metrics, ...(o.now ? { now: o.now } : {}) });
  const delivery = createDelivery({
    db: tdb.db,
    amo,
    config,
    metrics,
    route: (leads, ctx) => routing.route(leads, ctx),
    options: { pollIntervalMs: 100, notesMaxDelayMs: 100, backoff: { baseMs: 100, capMs: 400, jitter: 0.2 }, claimTimeoutMs: 30_000, requestTimeoutMs: o.amoTimeoutMs ?? 5000, ...o.delivery },
  });
  const app = await buildApp({
    config,
    db: tdb,
    metrics,
    onLeadCaptured: () => delivery.wake(),
    routingView: (id) => routing.view(id),
    extraRoutes: [(ctx) => deliveryRoutes({ db: tdb.db, requireAdmin: ctx.requireAdmin, onReplayed: () => delivery.wake() })],
  });
  if (o.start ?? true) delivery.start();
  const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  const h: Harness = {
    tdb,
    emu,
    amo,
    app,
    delivery,
    routing,
    metrics,
    config,
    async submit(body, headers = {}) {
      const res = await app.inject({ method: 'POST', url: '/api/leads', payload: body, headers });
      if (res.statusCode >= 300) throw new Error(`submit failed: ${res.statusCode} ${res.body}`);
      return { status: res.statusCode, id: res.json().id as string };
    },
    async lead(id) {
      const res = await app.inject({ method: 'GET', url: `/api/leads/${id}`, headers: auth });
      return res.json();
    },
    async admin(method, url, body) {
      const res = await app.inject({ method, url, headers: auth, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
      return { status: res.statusCode, json: res.json() };
    },
    emuState: () => emu.control.state() as ReturnType<Harness['emuState']>,
    async waitFor(fn, timeoutMs = 90_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await fn();
        if (v !== undefined && v !== false) return v as never;
        if (Date.now() > until) throw new Error('waitFor timed out');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await delivery.stop();
      await app.close();
      await emu.close();
      await tdb.cleanup();
    },
  };
  return h;
}

/** Every lead delivered (status) — the values of GET /api/leads/:id. */
export async function waitDelivered(h: Harness, ids: string[], timeoutMs = 60_000): Promise<Record<string, any>[]> {
  return h.waitFor(async () => {
    const views = await Promise.all(ids.map((id) => h.lead(id)));
    return views.every((v) => v.status === 'delivered') ? views : undefined;
  }, timeoutMs);
}
