// Sandbox end to end: `startServer()` with no amoCRM credentials starts the emulator in-process, connects to it
// through the real OAuth flow over HTTP, provisions the demo account, and says so in the log and in /health.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../logger.js';
import { startServer, type Server } from '../main.js';
import { createTestDb, type TestDb } from '../../test/db.js';

let dir: string;
let tdb: TestDb | undefined;
let server: Server;
const lines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leadbridge-sandbox-'));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  // PostgreSQL when available (fast); otherwise a fresh embedded data dir, exactly like a first `npm start`.
  if (process.env.TEST_DATABASE_URL) tdb = await createTestDb();
  server = await startServer({
    env: {
      LEADBRIDGE_DATA_DIR: dir,
      LEADBRIDGE_EMULATOR_PORT: '0',
      LEADBRIDGE_ADMIN_TOKEN: 'sandbox-test-admin-token-0123',
      ...(tdb?.url ? { DATABASE_URL: tdb.url } : {}),
    },
    configPath: join(dir, 'none.yaml'),
    // The app's own logger options (redaction, query strings stripped from request URLs).
    logger: pino(loggerOptions('info'), sink),
    port: 0,
    host: '127.0.0.1',
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await tdb?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sandbox', () => {
  it('connects to the built-in emulator through OAuth and provisions the demo pipeline; /health says so', async () => {
    const health = await server.app.inject({ method: 'GET', url: '/health' });
    const amocrm = health.json().checks.amocrm;
    expect(health.json().sandbox).toBe(true);
    expect(amocrm).toMatchObject({ ok: true, state: 'connected', sandbox: true });
    // /health is public: no account host, no token expiry (the dashboard's overview has them, behind a session).
    expect(amocrm.account).toBeUndefined();
    expect(amocrm.expires_at).toBeUndefined();
    expect(await server.connect.healthCheck()).toMatchObject({ ok: true, account: 'demo.amocrm.ru' });
    expect(amocrm.emulator_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The real flow ran: our install link, then our callback, then a code exchange at the emulator.
    const state = server.connect.sandbox?.emulator.control.state() as { calls: { path: string }[]; pipelines: { name: string }[] };
    expect(state.calls.some((c) => c.path === '/oauth')).toBe(true);
    expect(state.calls.some((c) => c.path === '/oauth2/access_token')).toBe(true);
    expect(state.pipelines.map((p) => p.name)).toContain('Asia Deals');
    const log = lines.join('\n');
    expect(log).toContain('/api/auth/amo/callback');
    expect(log).toContain('SANDBOX: connected to the built-in amoCRM emulator');

    // Nothing secret in the log: no tokens, no auth code.
    const tokens = await server.connect.conn.store.get();
    expect(log).not.toContain(tokens?.accessToken ?? '∅');
    expect(log).not.toContain(tokens?.refreshToken ?? '∅');
    expect(log).not.toMatch(/code=def50200/);

    const doctor = await server.app.inject({ method: 'GET', url: '/api/admin/doctor', headers: { authorization: 'Bearer sandbox-test-admin-token-0123' } });
    expect(doctor.statusCode).toBe(200);
    expect(doctor.json().ok).toBe(true);
  });
});
