// Backup while the server runs → restore into a fresh data directory → the same leads (PGlite; the PostgreSQL
// path is pg_dump, which the commands point to). Also the admin API of forget on the running server.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDump } from '../../test/db.js';
import { backupCommand, forgetCommand, restoreCommand } from '../cli/privacy.js';
import { loadConfig } from '../config/index.js';
import { openDb } from '../db/index.js';
import { startServer, type Server } from '../main.js';

const ADMIN = 'privacy-admin-token-0123456789abcdef';
let server: Server;
let base: string;
let env: NodeJS.ProcessEnv;
const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-backup-'));
const work = mkdtempSync(join(tmpdir(), 'leadbridge-backup-files-'));

beforeAll(async () => {
  const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
  await seed.close();
  env = {
    LEADBRIDGE_DATA_DIR: dataDir,
    LEADBRIDGE_CONFIG: join(dataDir, 'none.yaml'),
    LOG_LEVEL: 'silent',
    LEADBRIDGE_EMULATOR_PORT: '0',
    LEADBRIDGE_ADMIN_TOKEN: ADMIN,
  };
  server = await startServer({ env, port: 0, host: '127.0.0.1' });
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  base = `http://127.0.0.1:${port}`;
  env = { ...env, PORT: String(port), HOST: '127.0.0.1' };
});

afterAll(async () => {
  await server?.close();
});

const lines: string[] = [];
const io = { out: (t: string) => lines.push(t) };

async function post(body: unknown): Promise<string> {
  const res = await fetch(`${base}/api/leads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('backup and restore (PGlite)', () => {
  it('backs up while the server runs and restores the same leads into a fresh data directory', { timeout: 400_000 }, async () => {
    const ids = [
      await post({ name: 'Анна Бэкап', phone: '+79001230001', email: 'anna@example.ru', utm_source: 'google', consent: { given: true } }),
      await post({ name: 'Борис Бэкап', phone: '8 900 123-00-02', utm_source: 'yandex' }),
      await post({ name: 'Вера Бэкап', email: 'vera@example.ru' }),
    ];
    const out = join(work, 'running.tar.gz');
    // The server holds the data directory: the command asks it (GET /api/admin/backup), leads keep coming meanwhile.
    const during = post({ name: 'Галина Вовремя', phone: '+79001230004' });
    expect(await backupCommand(loadConfig(env), { out }, io)).toBe(0);
    await during;
    expect(lines.at(-1)).toMatch(/from the running server/);
    expect(existsSync(out)).toBe(true);
    await expect(backupCommand(loadConfig(env), { out }, io)).rejects.toMatchObject({ code: 'BACKUP_EXISTS' });

    // Restore refuses while a server runs on the data directory.
    await expect(restoreCommand(loadConfig(env), out, {}, io)).rejects.toMatchObject({ code: 'SERVER_RUNNING' });

    const fresh = mkdtempSync(join(tmpdir(), 'leadbridge-restored-'));
    const freshEnv = { ...env, LEADBRIDGE_DATA_DIR: fresh };
    expect(await restoreCommand(loadConfig(freshEnv), out, {}, io)).toBe(0);
    await expect(restoreCommand(loadConfig(freshEnv), out, {}, io)).rejects.toMatchObject({ code: 'DATA_DIR_NOT_EMPTY' });
    expect(await restoreCommand(loadConfig(freshEnv), out, { force: true }, io)).toBe(0);
    expect(readdirSync(fresh).some((f) => f.startsWith('pglite.before-restore-'))).toBe(true);

    const restored = await openDb({ dataDir: fresh, migrate: true });
    try {
      const rows = (await restored.executeSql('select id::text as id, name, phone, email, status from leads order by created_at')).rows;
      const live = (await server.db.executeSql('select id::text as id, name, phone, email from leads where id = any($1::uuid[]) order by created_at', [ids])).rows;
      expect(rows.filter((r) => ids.includes(String(r.id))).map(({ id, name, phone, email }) => ({ id, name, phone, email }))).toEqual(live);
      expect(live.map((r) => r.phone)).toEqual(['+79001230001', '+79001230002', null]);
      const consent = (await restored.executeSql('select text_version from consents where lead_id = $1', [ids[0]])).rows;
      expect(consent).toEqual([{ text_version: 'v1' }]);
    } finally {
      await restored.close();
    }
    // The stopped-server path: the command opens the restored directory itself.
    const again = join(work, 'stopped.tar.gz');
    expect(await backupCommand(loadConfig(freshEnv), { out: again }, io)).toBe(0);
    expect(lines.at(-1)).toMatch(/from the data directory/);
  });

  it('verifies the archive, and points PostgreSQL to pg_dump / pg_restore', async () => {
    const junk = join(work, 'junk.tar.gz');
    writeFileSync(junk, 'not a tarball');
    const fresh = mkdtempSync(join(tmpdir(), 'leadbridge-junk-'));
    await expect(restoreCommand(loadConfig({ ...env, LEADBRIDGE_DATA_DIR: fresh }), junk, {}, io)).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
    expect(existsSync(join(fresh, 'pglite'))).toBe(false);
    const pgEnv = { ...env, DATABASE_URL: 'postgres://u@127.0.0.1:1/none' };
    await expect(backupCommand(loadConfig(pgEnv), { out: join(work, 'pg.tar.gz') }, io)).rejects.toMatchObject({ code: 'BACKUP_USE_PG_DUMP', message: expect.stringContaining('pg_dump') });
    await expect(restoreCommand(loadConfig(pgEnv), junk, {}, io)).rejects.toMatchObject({ code: 'RESTORE_USE_PG_RESTORE', message: expect.stringContaining('pg_restore') });
    const unauth = await fetch(`${base}/api/admin/backup`);
    expect(unauth.status).toBe(401);
  });

  it('forgets a person through the running server (POST /api/admin/forget) and the CLI', async () => {
    const id = await post({ name: 'Дмитрий Забытый', phone: '+79001239999', email: 'dima@example.ru', consent: { given: true } });
    const res = await fetch(`${base}/api/admin/forget`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ email: 'DIMA@example.ru' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ leads: 1, tables: { leads: 1, consents: 1 } });
    const bad = await fetch(`${base}/api/admin/forget`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: '{"phone":"12"}' });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: 'PHONE_INVALID' });
    // The CLI goes through the server too (the data directory is locked).
    const before = lines.length;
    expect(await forgetCommand(loadConfig(env), { phone: '8 (900) 123-99-99' }, io)).toBe(0);
    expect(lines.slice(before).join('\n')).toMatch(/erased: 0 lead/);
    const [row] = (await server.db.executeSql('select name, phone, email, status from leads where id = $1', [id])).rows;
    expect(row).toMatchObject({ name: null, phone: null, email: null });
  });
});
