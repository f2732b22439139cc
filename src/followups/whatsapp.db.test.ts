// The whole server in the sandbox with the WhatsApp channel: the amoCRM emulator, the SMTP catcher and the WhatsApp
// Cloud API emulator, all over real HTTP. A lead with consent gets the WhatsApp template at once (parameters
// rendered); the emulator's signed status webhooks come back; the person replies (a signed inbound webhook) → the
// sequence exits `replied` before its next step and the reply becomes a note on the deal in the amoCRM emulator.
// Free text outside the 24 h window is not sent (reason recorded).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_ADMIN as ADMIN, startSandbox, until, type Sandbox } from '../../test/sandbox.js';
import { followupEnrolments, followupSteps } from '../db/index.js';
import { getLead } from '../intake/index.js';
import type { Server } from '../main.js';
const DASHBOARD = { email: 'owner@example.test', password: 'dashboard-password-1' };
const YAML = `
forms:
  default: { title: Website }
followups:
  opt_in: { "*": { email: always, whatsapp: consent } }
sequences:
  hello:
    trigger: { lead_captured: {} }
    quiet_hours: false
    exit_on: [won, lost, replied, unsubscribed, undeliverable]
    steps:
      - whatsapp: { template: lead_welcome, language: ru, params: ["{{first_name}}"] }
      - wait: 1h
      - whatsapp: { template: lead_reminder, language: ru, params: ["{{first_name}}", "{{form.title}}"] }
  chat:
    trigger: { lead_captured: {} }
    quiet_hours: false
    exit_on: [won, lost, unsubscribed, undeliverable]
    steps:
      - whatsapp: { text: "{{first_name}}, чем можем помочь?" }
`;

async function sandbox(): Promise<{ server: Server; base: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-fu-wa-'));
  writeFileSync(join(dir, 'leadbridge.yaml'), YAML);
  const sb = await startSandbox(join(dir, 'leadbridge.yaml'), { LEADBRIDGE_ADMIN_EMAIL: DASHBOARD.email, LEADBRIDGE_ADMIN_PASSWORD: DASHBOARD.password });
  open.push(sb);
  return sb;
}

const open: Sandbox[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe('WhatsApp follow-ups in the sandbox', { timeout: 300_000 }, () => {
  it('template at once; a reply exits the sequence and becomes a note on the deal; free text outside the window is not sent', async () => {
    const { server, base } = await sandbox();
    const wa = server.whatsapp.emulator();
    if (!wa) throw new Error('no WhatsApp emulator in the sandbox');
    const res = await fetch(`${base}/api/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Мария Петрова', phone: '+7 916 555-12-34', consent: true }),
    });
    expect(res.status).toBe(202);
    const leadId = ((await res.json()) as { id: string }).id;

    // The template, with its parameter rendered, reaches the Cloud API emulator.
    const sent = await until(async () => wa.control.messages().find((m) => m.type === 'template'), 'the WhatsApp template');
    expect(sent).toMatchObject({ waId: '79165551234', template: { name: 'lead_welcome', language: 'ru', params: ['Мария'] } });

    // Free text: no inbound message yet, so the 24 h window is closed → skipped with the reason, nothing sent.
    const chat = await until(async () => {
      const rows = await server.db.db.select().from(followupSteps);
      return rows.find((s) => s.kind === 'whatsapp' && s.status === 'skipped');
    }, 'the free-text step to be skipped');
    expect(chat.reason).toContain('outside_24h_window');
    expect(wa.control.messages().filter((m) => m.type === 'text')).toHaveLength(0);

    // The emulator's signed status webhooks are recorded on the step.
    await wa.control.flush();
    await until(async () => {
      const rows = await server.db.db.select().from(followupSteps);
      const s = rows.find((r) => r.messageId === sent.id);
      return s && ['delivered', 'read'].includes(s.status);
    }, 'the status webhooks on the step');

    // The deal exists in amoCRM; the person answers on WhatsApp.
    const amoLeadId = await until(async () => (await getLead(server.db.db, leadId))?.amoLeadId, 'the deal in amoCRM');
    await wa.control.inbound({ from: '+79165551234', text: 'Да, интересно, позвоните мне', context: sent.id });
    const exited = await until(async () => {
      const rows = await server.db.db.select().from(followupEnrolments);
      return rows.find((r) => r.sequenceKey === 'hello' && r.status === 'exited');
    }, 'the sequence to exit on the reply');
    expect(exited.exitReason).toBe('replied');
    const steps = await server.db.db.select().from(followupSteps);
    expect(steps.filter((s) => s.enrolmentId === exited.id).map((s) => [s.stepIndex, s.status])).toEqual(
      expect.arrayContaining([[2, 'cancelled']]),
    );

    // The reply (and the message sent) become notes on the deal in the amoCRM emulator.
    const emu = server.connect.sandbox?.emulator;
    if (!emu) throw new Error('no amoCRM emulator');
    const notes = await until(async () => {
      await server.followups.tick();
      const state = emu.control.state() as { notes: { entity_id: number; params?: { text?: string } }[] };
      const mine = state.notes.filter((n) => n.entity_id === amoLeadId && (n.params?.text ?? '').includes('WhatsApp'));
      return mine.some((n) => (n.params?.text ?? '').includes('позвоните')) ? mine : undefined;
    }, 'the reply as a note on the deal');
    expect(notes.some((n) => (n.params?.text ?? '').includes('lead_welcome'))).toBe(true);

    // GET /api/leads/:id shows both enrolments with their steps; /api/admin/messages lists the sandbox's WhatsApp.
    const view = (await (await fetch(`${base}/api/leads/${leadId}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      followups: { sequence: string; status: string; exit_reason: string | null; steps: { channel: string; status: string }[] }[];
    };
    expect(view.followups.map((f) => [f.sequence, f.status, f.exit_reason]).sort()).toEqual([
      ['chat', 'completed', null],
      ['hello', 'exited', 'replied'],
    ]);
    // The dashboard's lead page (its API, signed in) shows the same follow-ups with their messages.
    const login = await server.app.inject({ method: 'POST', url: '/api/dashboard/login', payload: DASHBOARD });
    expect(login.statusCode).toBe(200);
    const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const page = await server.app.inject({ method: 'GET', url: `/api/analytics/leads/${leadId}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const shown = (page.json() as { followups: { sequence: string; exit_reason: string | null; steps: { channel: string; status: string; message_id: string | null }[] }[] }).followups;
    expect(shown.map((f) => [f.sequence, f.exit_reason]).sort()).toEqual([
      ['chat', null],
      ['hello', 'replied'],
    ]);
    expect(shown.find((f) => f.sequence === 'hello')?.steps[0]).toMatchObject({ channel: 'whatsapp', message_id: sent.id });
    const messages = (await (await fetch(`${base}/api/admin/messages`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { whatsapp: { template?: { name: string } }[] };
    expect(messages.whatsapp.map((m) => m.template?.name)).toContain('lead_welcome');
  });

  it('131026 (undeliverable) ends WhatsApp for the number; 130429 (throughput) is retried later and sent once', async () => {
    const { server, base } = await sandbox();
    const wa = server.whatsapp.emulator();
    if (!wa) throw new Error('no WhatsApp emulator in the sandbox');
    const post = async (body: object) => {
      const res = await fetch(`${base}/api/leads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const enrolmentOf = (leadId: string) =>
      until(async () => (await server.db.db.select().from(followupEnrolments).where(and(eq(followupEnrolments.leadId, leadId), eq(followupEnrolments.sequenceKey, 'hello'))))[0], 'the enrolment');
    const stepsOf = (id: string) => server.db.db.select().from(followupSteps).where(eq(followupSteps.enrolmentId, id)).orderBy(followupSteps.stepIndex);

    // The emulator accepts a message to a number ending 0026, then reports it failed with 131026 by webhook.
    const lost = await enrolmentOf(await post({ name: 'Пётр Сидоров', phone: '+79160000026', consent: true }));
    await until(async () => (await stepsOf(lost.id)).find((s) => s.stepIndex === 0 && s.status === 'failed'), 'the 131026 status on the step');
    expect((await stepsOf(lost.id))[0]).toMatchObject({ reason: 'undeliverable' });
    // An hour later the reminder is not tried: WhatsApp has ended for this number, so the enrolment exits.
    await server.db.db.update(followupSteps).set({ dueAt: new Date() }).where(and(eq(followupSteps.enrolmentId, lost.id), eq(followupSteps.status, 'scheduled')));
    server.followups.wake();
    const ended = await until(async () => {
      const [row] = await server.db.db.select().from(followupEnrolments).where(eq(followupEnrolments.id, lost.id));
      return row?.status === 'exited' ? row : undefined;
    }, 'the enrolment to exit');
    expect(ended.exitReason).toBe('undeliverable');
    expect(wa.control.messages().filter((m) => m.waId === '79160000026')).toHaveLength(1);

    // Throughput reached (130429) on the first try: the step is rescheduled, then sent exactly once.
    wa.control.failNext(1, { status: 400, code: 130429, message: 'Rate limit hit' });
    const throttled = await enrolmentOf(await post({ name: 'Ольга Белова', phone: '+79165550001', consent: true }));
    const retry = await until(async () => (await stepsOf(throttled.id)).find((s) => s.stepIndex === 0 && s.status === 'scheduled' && s.attempts === 1), 'the retry to be scheduled');
    expect(retry.dueAt.getTime()).toBeGreaterThan(Date.now());
    await server.db.db.update(followupSteps).set({ dueAt: new Date() }).where(eq(followupSteps.id, retry.id));
    server.followups.wake();
    await until(async () => (await stepsOf(throttled.id)).find((s) => s.stepIndex === 0 && ['sent', 'delivered', 'read'].includes(s.status)), 'the retried send');
    expect(wa.control.messages().filter((m) => m.waId === '79165550001' && m.type === 'template')).toHaveLength(1);
  });
});
