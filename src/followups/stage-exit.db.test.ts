// The whole server (startServer) in the sandbox: amoCRM emulator, SMTP catcher. A lead posted over HTTP gets the
// first email at once; delivery creates the deal, the emulator's webhook tells us; a manager moves the deal in the
// emulator (the UI action → webhook → deal.stage_changed) and the sequence exits before its next step.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { buildApp } from '../../test/app.js';
import { createTestDb, pgliteDump } from '../../test/db.js';
import { encodeWebhookBody } from '../amocrm/webhooks/index.js';
import { followupEnrolments, followupSteps, leads } from '../db/index.js';
import { createSmtpChannel } from '../email/index.js';
import { createInboxWriter, createWebhookProcessor } from '../webhooks/index.js';
import { createFollowups } from './index.js';
import { getLead } from '../intake/index.js';
import { startServer } from '../main.js';
import { freePort, yamlConfig } from '../../test/followups.js';

const YAML = `
forms:
  default: { title: Website }
sequences:
  demo:
    trigger: { lead_captured: {} }
    quiet_hours: false
    exit_on: [left_stage, won, lost, replied, unsubscribed, undeliverable]
    steps:
      - email: { subject: "Добро пожаловать, {{first_name}}", text: "Спасибо за заявку!" }
      - wait: 1h
      - email: { subject: "Напоминание", text: "Мы на связи." }
`;

async function until<T>(f: () => Promise<T | undefined | null | false>, what: string, ms = 300_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a stage move in amoCRM ends the sequence', { timeout: 600_000 }, () => {
  it('first email at once; the manager moves the deal → exited (left_stage), the next email is cancelled', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leadbridge-fu-e2e-'));
    const seed = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([new Uint8Array(await pgliteDump())]) });
    await seed.close();
    writeFileSync(join(dataDir, 'leadbridge.yaml'), YAML);
    // A fixed port: the sandbox registers its webhook at LEADBRIDGE_PUBLIC_URL (default http://localhost:PORT).
    const port = await freePort();
    const server = await startServer({
      env: {
        LEADBRIDGE_DATA_DIR: dataDir,
        LEADBRIDGE_CONFIG: join(dataDir, 'leadbridge.yaml'),
        LOG_LEVEL: 'silent',
        LEADBRIDGE_EMULATOR_PORT: '0',
        LEADBRIDGE_SMTP_CATCHER_PORT: '0',
        LEADBRIDGE_ADMIN_TOKEN: 'test-admin-token-0123456789',
        PORT: String(port),
        LEADBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      port,
      host: '127.0.0.1',
    });
    try {
      const addr = server.app.server.address();
      const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      const res = await fetch(`${base}/api/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Иван Смирнов', email: 'ivan@example.test', phone: '+79161112233' }),
      });
      expect(res.status).toBe(202);
      const leadId = ((await res.json()) as { id: string }).id;
      const catcher = server.email.catcher();
      expect(catcher).not.toBeNull();
      await until(async () => catcher?.messages().length === 1, 'the first email');
      expect(catcher?.messages()[0]).toMatchObject({ subject: 'Добро пожаловать, Иван', envelope: { to: ['ivan@example.test'] } });
      // Delivery created the deal in the emulator (its webhook may or may not have reached us yet).
      const amoLeadId = await until(async () => (await getLead(server.db.db, leadId))?.amoLeadId, 'the deal in amoCRM');
      const en = { amoLeadId };
      const emu = server.connect.sandbox?.emulator;
      if (!emu) throw new Error('no sandbox emulator');
      const state = emu.control.state() as { leads: { id: number; pipeline_id: number; status_id: number }[]; pipelines: { id: number; _embedded?: { statuses?: { id: number }[] }; statuses?: { id: number }[] }[] };
      const deal = state.leads.find((l) => l.id === en.amoLeadId);
      if (!deal) throw new Error('deal not in the emulator');
      const pipe = state.pipelines.find((p) => p.id === deal.pipeline_id);
      const statuses = (pipe?.statuses ?? pipe?._embedded?.statuses ?? []).map((s) => s.id).filter((id) => id !== deal.status_id && id !== 142 && id !== 143 && id !== 1);
      const next = statuses[0];
      if (next === undefined) throw new Error('no other stage');
      emu.control.advanceClock(60_000);
      emu.control.moveLead(deal.id, deal.pipeline_id, next);
      await emu.control.flushWebhooks();
      const exited = await until(async () => {
        const [row] = await server.db.db.select().from(followupEnrolments);
        return row?.status === 'exited' ? row : undefined;
      }, 'the enrolment to exit').catch(async (e: unknown) => {
        const ev = await server.db.executeSql('select type, lead_id, amo_lead_id, payload::text from domain_events order by id');
        const [row] = await server.db.db.select().from(followupEnrolments);
        throw new Error(`${String(e)}; events ${JSON.stringify(ev.rows)}; enrolment ${JSON.stringify(row)}`);
      });
      expect(exited).toMatchObject({ exitReason: 'left_stage' });
      const steps = await server.db.db.select().from(followupSteps).orderBy(followupSteps.stepIndex);
      expect(steps.map((s) => [s.stepIndex, s.status, s.reason])).toEqual([
        [0, 'sent', null],
        [2, 'cancelled', 'left_stage'],
      ]);
      const view = await fetch(`${base}/api/leads/${leadId}`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
      expect(view.status).toBe(200);
      expect(catcher?.messages()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("the deal's creation webhook arrives after its move (deliveries overtake each other): the sequence still exits", async () => {
    const tdb = await createTestDb();
    const config = yamlConfig(YAML);
    const channel = createSmtpChannel({ url: 'smtp://127.0.0.1:9', from: 'hello@example.test', ignoreTLS: true });
    const fu = createFollowups({ db: tdb.db, config, account: 'default', channels: { email: channel }, pipelines: async () => undefined, now: Date.now, random: () => 0.5 });
    const app = await buildApp({ config, db: tdb });
    try {
      const res = await app.inject({ method: 'POST', url: '/api/leads', payload: { name: 'Иван Смирнов', email: 'ivan@example.test' } });
      expect(res.statusCode).toBe(202);
      const leadId = (res.json() as { id: string }).id;
      // Delivery created deal 77 for the lead (it links the lead without an event).
      await tdb.db.update(leads).set({ amoLeadId: 77, status: 'delivered' }).where(eq(leads.id, leadId));
      const T = Math.floor(Date.now() / 1000) - 120;
      const account = { id: 1, subdomain: 's', self: 'https://s.amocrm.ru' };
      const item = (action: 'add' | 'update' | 'status', statusId: number, at: number) =>
        encodeWebhookBody([{ key: 'leads', action, fields: { id: 77, name: 'Deal', status_id: statusId, pipeline_id: 7, updated_at: at, last_modified: at, created_at: T } }], account);
      // Stored in the order they arrived: the manager's move (stage 2, a minute later) first, the creation (stage 1) last.
      const writer = createInboxWriter(tdb.db, 'default');
      for (const body of [item('update', 2, T + 60), item('status', 2, T + 60), item('add', 1, T)]) {
        await writer.write({ status: 'pending', contentType: 'application/x-www-form-urlencoded', body });
      }
      await createWebhookProcessor({ db: tdb.db, account: 'default' }).drain();
      const deadline = Date.now() + 60_000;
      const enrolment = async () => (await tdb.db.select().from(followupEnrolments))[0];
      while ((await enrolment())?.status !== 'exited') {
        if (Date.now() > deadline) throw new Error(`the enrolment did not exit: ${JSON.stringify(await enrolment())}`);
        await fu.pollEvents();
        await new Promise((r) => setTimeout(r, 50));
      }
      // Created here in stage 2 (the move came first), the enrolment took stage 2; the late creation showed stage 1.
      expect(await enrolment()).toMatchObject({ exitReason: 'left_stage', stage: { status_id: 2 } });
    } finally {
      await fu.stop();
      channel.close();
      await app.close();
      await tdb.cleanup();
    }
  });
});
