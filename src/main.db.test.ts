import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { pgliteDump } from '../test/db.js';
import { ConfigError } from './config/index.js';
import { startServer } from './main.js';

describe('startServer', () => {
  it('starts on embedded PGlite, serves over HTTP, and releases the data dir on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-main-'));
    const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
    const server = await startServer({
      env: { LEADBRIDGE_DATA_DIR: dataDir, LEADBRIDGE_CONFIG: join(dataDir, 'none.yaml'), LOG_LEVEL: 'silent', LEADBRIDGE_EMULATOR_PORT: '0' },
      port: 0,
      host: '127.0.0.1',
    });
    try {
      expect(existsSync(join(dataDir, 'leadbridge.lock'))).toBe(true);
      const address = server.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', sandbox: true, checks: { database: { ok: true }, queue: { ok: true } } });
    } finally {
      await server.close();
    }
    expect(existsSync(join(dataDir, 'leadbridge.lock'))).toBe(false);
  });

  it('refuses to start on invalid config, listing the problems', async () => {
    await expect(startServer({ env: { PORT: 'x', LOG_LEVEL: 'loud' }, configPath: '/nonexistent.yaml' })).rejects.toThrow(ConfigError);
  });
});
