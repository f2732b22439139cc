// Changing PORT / LEADBRIDGE_PUBLIC_URL gives a new webhook URL: setup replaces our old subscription (never another
// integration's), doctor flags the leftovers — against the emulator over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmoConnection } from './connection.js';
import { connectDoctor } from './doctor.js';
import { getWebhookUrl } from './keys.js';
import { demoSpec } from './sandbox.js';
import { runSetup } from './setup.js';
import { createHarness, type Harness } from '../../test/connect.js';
import { isOurWebhook, staleWebhooks } from './webhook-subscriptions.js';

const SECRET = 'whsec-stale-0123456789abcdef';
let h: Harness;
let conn: AmoConnection;
const spec = demoSpec();

beforeAll(async () => {
  h = await createHarness({ config: { webhookSecret: SECRET, publicUrl: 'http://localhost:8000' } });
  conn = await h.connect();
  await conn.store.connect({ host: 'demo.amocrm.ru', accountId: 31000001, tokens: await h.pair() });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const destinations = () =>
  (h.emu.control.state() as { webhooks: { subscriptions: { destination: string }[] } }).webhooks.subscriptions.map((w) => w.destination).sort();

describe('our webhook subscriptions', () => {
  it('ours = the path /api/webhooks/amo/<secret> (or ?secret=) on any host; nothing else', () => {
    expect(isOurWebhook('http://localhost:8000/api/webhooks/amo/abc')).toBe(true);
    expect(isOurWebhook('https://leads.example.ru/api/webhooks/amo?secret=abc')).toBe(true);
    expect(isOurWebhook('https://leads.example.ru/api/webhooks/amo/abc/')).toBe(true);
    expect(isOurWebhook('https://crm.example.ru/hooks/amo')).toBe(false);
    expect(isOurWebhook('https://x.example/api/webhooks/amocrm/abc')).toBe(false);
    expect(isOurWebhook('https://x.example/api/webhooks/amo/abc/more')).toBe(false);
    expect(isOurWebhook('not a url')).toBe(false);
    const subs = [{ destination: 'http://a/api/webhooks/amo/1' }, { destination: 'http://b/api/webhooks/amo/2' }, { destination: 'http://c/other' }];
    expect(staleWebhooks(subs as never, 'http://b/api/webhooks/amo/2').map((s) => s.destination)).toEqual(['http://a/api/webhooks/amo/1']);
  });

  it('after PORT changes, doctor flags the old subscription, setup replaces it and keeps other integrations’ hooks', async () => {
    const foreign = 'https://other-integration.example/amo/hook';
    await conn.amo.webhooks.subscribe({ destination: foreign, settings: ['add_lead'] });
    await runSetup({ amo: conn.amo, db: h.tdb, config: h.config, spec });
    const oldUrl = await getWebhookUrl(h.tdb.db, h.config);
    expect(oldUrl).toBe(`http://localhost:8000/api/webhooks/amo/${SECRET}`);
    expect(destinations()).toEqual([foreign, oldUrl].sort());
    expect((await connectDoctor({ config: h.config, db: h.tdb, conn, spec })).results.find((r) => r.name === 'old webhook subscriptions')).toMatchObject({ ok: true });

    // The operator moves the server to port 8100.
    const moved = { ...h.config, port: 8100, publicUrl: 'http://localhost:8100' };
    const newUrl = await getWebhookUrl(h.tdb.db, moved);
    expect(newUrl).toBe(`http://localhost:8100/api/webhooks/amo/${SECRET}`);

    // doctor (before setup): the current URL is missing and the old one is flagged, masked (it carries the secret).
    const before = await connectDoctor({ config: moved, db: h.tdb, conn, spec });
    const stale = before.results.find((r) => r.name === 'old webhook subscriptions');
    expect(stale).toMatchObject({ ok: false });
    expect(stale?.detail).toContain('http://localhost:8000/api/webhooks/amo/');
    expect(stale?.detail).not.toContain(SECRET);
    expect(stale?.fix).toContain('leadbridge setup');

    // A dry run says what it would remove and removes nothing.
    const out: string[] = [];
    const dry = await runSetup({ amo: conn.amo, db: h.tdb, config: moved, spec, dryRun: true, print: (t) => out.push(t) });
    expect(dry.staleWebhooksRemoved).toHaveLength(1);
    expect(out.join('\n')).toContain('Would remove 1 old Leadbridge webhook subscription');
    expect(out.join('\n')).not.toContain(oldUrl);
    expect(destinations()).toEqual([foreign, oldUrl].sort());

    // setup subscribes the new URL and removes ONLY our old one.
    const res = await runSetup({ amo: conn.amo, db: h.tdb, config: moved, spec, print: (t) => out.push(t) });
    expect(res.problems).toEqual([]);
    expect(res.staleWebhooksRemoved).toHaveLength(1);
    expect(destinations()).toEqual([foreign, newUrl].sort());

    const after = await connectDoctor({ config: moved, db: h.tdb, conn, spec });
    expect(after.results.filter((r) => !r.ok)).toEqual([]);

    // Idempotent: a second setup removes nothing more.
    const again = await runSetup({ amo: conn.amo, db: h.tdb, config: moved, spec });
    expect(again.staleWebhooksRemoved).toEqual([]);
    expect(again.changes).toBe(0);
    expect(destinations()).toEqual([foreign, newUrl].sort());
  }, 180_000);
});
