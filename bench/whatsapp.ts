// Bench: the WhatsApp channel against the emulator over real HTTP, with the emulator's signed status webhooks
// (sent, delivered, read) going to the app's receiver. Reports sends/s at the configured rate, the fullest
// 1-second window the emulator saw (must not exceed the rate), and webhook acknowledgement time p50/p99.
// Run: npx tsx bench/whatsapp.ts [--sends 300] [--rate 20]   (DATABASE_URL=postgres://… for PostgreSQL)
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { migrateDb, whatsappMessages, wrapPglite, wrapPostgres, type Db } from '../src/db/index.js';
import { buildApp } from '../test/app.js';
import { createWhatsAppChannel, whatsappWebhookRoutes } from '../src/whatsapp/index.js';
import { DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, maxInWindow, startWhatsAppEmulator } from '../src/whatsapp-emulator/index.js';
import { pct } from './delivery-lib.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const N = Number(arg('sends', '300'));
const RATE = Number(arg('rate', '20'));
const SECRET = 'bench-app-secret';
const url = process.env.DATABASE_URL;

async function openBenchDb(): Promise<Db> {
  if (url) {
    const db = wrapPostgres(new pg.Pool({ connectionString: url, max: 10 }));
    await migrateDb(db);
    await db.executeSql('truncate whatsapp_contacts, whatsapp_messages, whatsapp_webhooks, whatsapp_webhook_keys');
    return db;
  }
  const db = await wrapPglite(await PGlite.create());
  await migrateDb(db);
  return db;
}

const db = await openBenchDb();
const config = loadConfig({ LEADBRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789' }, { configPath: '/nonexistent/leadbridge.yaml' });
const app = await buildApp({ config, db, extraRoutes: [() => whatsappWebhookRoutes({ db: db.db, account: 'default', appSecret: SECRET, verifyToken: 'v', phoneNumberId: DEFAULT_PHONE_NUMBER_ID })] });
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
const emu = await startWhatsAppEmulator({ appSecret: SECRET, webhookUrl: `${base}/api/webhooks/whatsapp`, pairLimit: false });
const channel = createWhatsAppChannel({ apiUrl: emu.url, graphVersion: 'v23.0', token: DEFAULT_TOKEN, phoneNumberId: DEFAULT_PHONE_NUMBER_ID, db: db.db, account: 'default', ratePerSecond: RATE });

const started = performance.now();
const results = await Promise.all(
  Array.from({ length: N }, (_, i) =>
    channel.send({ to: `+7916${String(1_000_000 + i * 10 + 1).slice(-7)}`, template: { name: 'lead_welcome', language: 'ru', params: [`Клиент ${i}`] }, callbackData: `bench:${i}` }),
  ),
);
const sendSeconds = (performance.now() - started) / 1000;
await emu.control.flush(120_000);
const ok = results.filter((r) => r.ok).length;
const acks = emu.control.deliveries().filter((d) => d.status === 200).map((d) => d.ms).sort((a, b) => a - b);
const read = (await db.db.select({ n: sql<number>`count(*)::int` }).from(whatsappMessages).where(sql`status = 'read'`))[0]?.n ?? 0;


const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
console.log(
  JSON.stringify({
    db: db.kind,
    sends: N,
    rate: RATE,
    accepted: ok,
    sends_per_s: Math.round((ok / sendSeconds) * 10) / 10,
    max_in_1s_window_at_emulator: maxInWindow(emu.control.arrivals().map((a) => a.at)),
    status_webhooks: acks.length,
    webhook_ack_ms_p50: pct(acks, 50),
    webhook_ack_ms_p99: pct(acks, 99),
    messages_read: read,
    load1: load,
  }),
);
await emu.close();
await app.close();
await db.close();
