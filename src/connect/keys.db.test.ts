// A generated webhook secret is stored encrypted (never in plaintext), stays the same, and a plaintext one from an
// older version keeps its value while it is moved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { appSettings } from '../db/index.js';
import { generateKey } from './crypto.js';
import { getWebhookSecret, getWebhookUrl } from './keys.js';

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb?.cleanup();
});

const settings = async () => JSON.stringify(await tdb.db.select().from(appSettings));

describe('getWebhookSecret', () => {
  const config = { webhookSecret: undefined, secretKey: generateKey(), sandbox: false, publicUrl: 'https://lb.example' };

  it('generates one, stores it encrypted, and returns the same one every time', async () => {
    const secret = await getWebhookSecret(tdb.db, config);
    expect(secret).toMatch(/^[\w-]{32}$/);
    expect(await getWebhookSecret(tdb.db, config)).toBe(secret);
    expect(await settings()).not.toContain(secret);
    expect(await settings()).toContain('connect.webhook_secret_enc');
  });

  it('moves a plaintext secret of an older version to the encrypted setting, keeping its value', async () => {
    await tdb.db.delete(appSettings);
    await tdb.db.insert(appSettings).values({ key: 'connect.webhook_secret', value: 'legacy-secret-value-123' });
    expect(await getWebhookSecret(tdb.db, config)).toBe('legacy-secret-value-123');
    expect(await settings()).not.toContain('legacy-secret-value-123');
    expect(await getWebhookUrl(tdb.db, config)).toBe('https://lb.example/api/webhooks/amo/legacy-secret-value-123');
  });

  it('uses LEADBRIDGE_WEBHOOK_SECRET as given', async () => {
    expect(await getWebhookSecret(tdb.db, { ...config, webhookSecret: 'from-env' })).toBe('from-env');
  });
});
