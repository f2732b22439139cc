// `leadbridge setup` and `leadbridge doctor` as the CLI runs them (the app's connection built from config), in sandbox
// mode against an emulator on a real port, over the test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { tokenSetFromResponse } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import { createAmoConnection, defaultRedirectUri, resolveSecretKey } from '../connect/index.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { testConfig } from '../../test/config.js';
import { doctorCommand } from './doctor.js';
import { setupCommand } from './setup.js';

let emu: RunningEmulator;
let tdb: TestDb;
let config: Config;
const out: string[] = [];
const io = () => ({ db: tdb, out: (t: string) => out.push(t) });

beforeAll(async () => {
  const base = testConfig({ publicUrl: 'http://localhost:8000' });
  emu = await startEmulator({ port: 0, rateLimit: false, redirectUri: defaultRedirectUri(base), logger: false });
  config = { ...base, sandbox: true, emulatorPort: emu.port, logLevel: 'silent' };
  tdb = await createTestDb();
  // Connected once, as the sandbox server would have done.
  const conn = await createAmoConnection({ config, db: tdb, key: await resolveSecretKey(tdb.db, config) });
  await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: tokenSetFromResponse(await emu.control.issueTokens(), Date.now()) });
});
afterAll(async () => {
  await emu?.close();
  await tdb?.cleanup();
});

describe('leadbridge setup / doctor (CLI)', () => {
  it('setup --dry-run prints the plan; setup applies it; a second run is a no-op; doctor then passes', async () => {
    out.length = 0;
    expect(await setupCommand(config, { dryRun: true }, io())).toBe(0);
    expect(out.join('\n')).toContain('Dry run: nothing was changed');
    expect(out.join('\n')).toContain('create pipeline "Asia Deals"');

    out.length = 0;
    expect(await setupCommand(config, {}, io())).toBe(0);
    expect(out.join('\n')).toMatch(/Done: \d+ changes made/);
    expect(out.join('\n')).toMatch(/Webhook URL .*: http:\/\/localhost:8000\/api\/webhooks\/amo\/\S{16,}/);

    out.length = 0;
    expect(await setupCommand(config, {}, io())).toBe(0);
    expect(out.join('\n')).toContain('Nothing to change');

    out.length = 0;
    expect(await doctorCommand(config, io())).toBe(0);
    expect(out.join('\n')).toContain('checks passed');
  });

  it('doctor exits non-zero with the fix when a field was deleted', async () => {
    const state = emu.control.state() as { custom_fields: { id: number; code: string | null; entity_type: string }[] };
    const field = state.custom_fields.find((f) => f.code === 'COMMISSION');
    emu.control.deleteField('leads', field?.id ?? -1);
    out.length = 0;
    expect(await doctorCommand(config, io())).toBe(1);
    expect(out.join('\n')).toMatch(/✗ field leads\.commission[\s\S]*→ fix: run `leadbridge setup`/);
  });
});
