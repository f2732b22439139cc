// The receive journal: an ack waits for the journal file, not the database; journaled deliveries reach the
// database afterwards, survive a restart (replayed from the checkpoint), and the file is emptied once stored.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.js';
import { createTestDb, type TestDb } from '../../test/db.js';
import { webhookDeliveries } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { createInboxWriter, type InboxWriter } from './inbox-writer.js';
import { openWebhookJournal } from './journal.js';
import { webhookRoutes } from './routes.js';

const SECRET = 'whsec-journal-0123456789abcdef';
const FORM = 'application/x-www-form-urlencoded';
let tdb: TestDb;
const dirs: string[] = [];

beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'lb-journal-'));
  dirs.push(d);
  return d;
};
const rows = async (body: string) =>
  (await tdb.db.select({ n: sql<number>`count(*)::int` }).from(webhookDeliveries).where(sql`${webhookDeliveries.body} = ${body}`))[0]?.n ?? 0;
const delivery = (body: string) => ({ status: 'pending' as const, contentType: FORM, body, accountId: 31000001, eventCount: 1 });

/** A writer that holds every insert until released (a database busy elsewhere). */
function heldWriter(real: InboxWriter) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const writer: InboxWriter = { ...real, write: async (d) => (await gate, real.write(d)) };
  return { writer, release };
}

describe('webhook journal', () => {
  it('acks from the journal while the database insert is held back; the row follows once released', async () => {
    const dir = tempDir();
    const { writer, release } = heldWriter(createInboxWriter(tdb.db, 'default'));
    const stored: number[] = [];
    const journal = openWebhookJournal({ dir, writer, onStored: (id) => stored.push(id) });
    const app: FastifyInstance = await buildApp({
      config: testConfig(),
      db: tdb,
      extraRoutes: [() => webhookRoutes({ writer, journal, source: { webhookSecret: SECRET, account: async () => ({ id: 31000001 }) } })],
    });
    try {
      const body = 'leads[add][0][id]=9001&leads[add][0][name]=held&account[id]=31000001';
      const res = await app.inject({ method: 'POST', url: `/api/webhooks/amo/${SECRET}`, headers: { 'content-type': FORM }, payload: body });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'accepted', events: 1 });
      expect(readFileSync(join(dir, 'webhook-journal.ndjson'), 'utf8')).toContain('held');
      expect(await rows(body)).toBe(0);
      release();
      await journal.flush();
      expect(await rows(body)).toBe(1);
      expect(stored).toHaveLength(1);
    } finally {
      await app.close();
      await journal.close();
    }
  });

  it('stores after a restart what was journaled but not stored, ignoring a torn last line', async () => {
    const dir = tempDir();
    const down: InboxWriter = { write: () => Promise.reject(new Error('database down')), pending: () => 0, lastWriteAt: () => 0 };
    const first = openWebhookJournal({ dir, writer: down, retryMs: 10 });
    await Promise.all(['r1', 'r2', 'r3'].map((b) => first.append(delivery(`restart-${b}`))));
    expect(first.pending()).toBe(3);
    await first.close();
    appendFileSync(join(dir, 'webhook-journal.ndjson'), '{"status":"pending","body":"torn'); // a crash mid-write

    const second = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default') });
    await second.flush();
    for (const b of ['r1', 'r2', 'r3']) expect(await rows(`restart-${b}`)).toBe(1);
    await second.append(delivery('restart-r4'));
    await second.flush();
    expect(await rows('restart-r4')).toBe(1);
    await second.close();

    // Everything stored and checkpointed: a third start stores nothing again.
    const third = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default') });
    expect(third.pending()).toBe(0);
    await third.close();
    for (const b of ['r1', 'r2', 'r3', 'r4']) expect(await rows(`restart-${b}`)).toBe(1);
  });

  it('stores exactly once, on the next start, what a SIGKILLed process had acked but not stored', async () => {
    const dir = tempDir();
    const script = fileURLToPath(new URL('../../test/children/journal-crash.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, 'killed', '25'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('journaled 25') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const bodies = Array.from({ length: 25 }, (_, i) => `killed-${i}`);
    for (const b of bodies) expect(await rows(b)).toBe(0);

    const next = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default') });
    expect(next.pending()).toBe(25);
    await next.flush();
    await next.close();
    // A second start (checkpoint lost, too) stores nothing twice.
    rmSync(join(dir, 'webhook-journal.offset'));
    const again = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default') });
    await again.flush();
    await again.close();
    for (const b of bodies) expect(await rows(b)).toBe(1);
  }, 60_000);

  it('stores an entry once when the crash came after its insert and before its checkpoint', async () => {
    const dir = tempDir();
    const first = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default') });
    const receivedAt = new Date(Date.now() - 60_000);
    await first.append({ ...delivery('once-a'), receivedAt });
    await first.append(delivery('once-b'));
    await first.flush();
    await first.close();
    // The checkpoint was lost (a crash between the database commit and its write): everything is replayed.
    rmSync(join(dir, 'webhook-journal.offset'));
    const second = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default') });
    expect(second.pending()).toBe(2);
    await second.flush();
    await second.close();
    expect(await rows('once-a')).toBe(1);
    expect(await rows('once-b')).toBe(1);
    // The receipt time is the journal's, not the (later) insert's.
    const [row] = await tdb.db.select({ at: webhookDeliveries.receivedAt }).from(webhookDeliveries).where(sql`${webhookDeliveries.body} = 'once-a'`);
    expect(row?.at.getTime()).toBe(receivedAt.getTime());
  });

  it('empties the file once everything in it is stored and it passed maxBytes', async () => {
    const dir = tempDir();
    const journal = openWebhookJournal({ dir, writer: createInboxWriter(tdb.db, 'default'), maxBytes: 1000 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => journal.append(delivery(`big-${i}-${'x'.repeat(100)}`))));
    await journal.flush();
    expect(statSync(join(dir, 'webhook-journal.ndjson')).size).toBe(0);
    expect(await rows(`big-19-${'x'.repeat(100)}`)).toBe(1);
    await journal.append(delivery('after-truncate'));
    await journal.flush();
    expect(await rows('after-truncate')).toBe(1);
    await journal.close();
  });
});
