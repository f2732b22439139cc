// The sequences the presets ship, run in the sandbox (amoCRM emulator, SMTP catcher, WhatsApp emulator over real
// HTTP). Waits are not slept through: a step's due time is moved to now, as if the hours had passed. The presets
// run as shipped but for their quiet hours, which are switched off so the test does not depend on the time of day
// it runs at (quiet hours are tested with an injected clock in email.db.test.ts).
// Asia Deals: welcome email with the catalogue + WhatsApp welcome at once; still in "Новый лид" after 2 h → a
//   WhatsApp reminder and a call-back task; entering "Презентация" → an email with the presentation.
// FitZone: a WhatsApp invitation to a trial session at once; an email reminder the next day.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, until, type Sandbox } from '../../test/sandbox.js';
import { followupEnrolments, followupSteps } from '../db/index.js';
import { getLead } from '../intake/index.js';
import type { Server } from '../main.js';

/** The preset as shipped, with its quiet hours off. */
function preset(name: string): string {
  const yaml = readFileSync(fileURLToPath(new URL(`../../presets/${name}`, import.meta.url)), 'utf8');
  const quiet = 'quiet_hours: { start: "21:00", end: "09:00" }';
  if (!yaml.includes(quiet)) throw new Error(`${name}: its quiet hours changed; update this test`);
  const file = join(mkdtempSync(join(tmpdir(), 'leadbridge-preset-')), name);
  writeFileSync(file, yaml.replace(quiet, 'quiet_hours: false'));
  return file;
}
const open: Sandbox[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

type EmuState = {
  leads: { id: number; pipeline_id: number; status_id: number }[];
  pipelines: { id: number; name: string; _embedded: { statuses: { id: number; name: string }[] } }[];
  tasks: { entity_id: number; text: string; task_type_id: number }[];
};
const emu = (server: Server) => {
  const e = server.connect.sandbox?.emulator;
  if (!e) throw new Error('not in the sandbox');
  return e;
};
const state = (server: Server) => emu(server).control.state() as unknown as EmuState;

/** The enrolment of a sequence for a lead, once it exists. */
async function enrolment(server: Server, sequence: string, by: { leadId?: string; amoLeadId?: number }) {
  return until(async () => {
    const rows = await server.db.db.select().from(followupEnrolments).where(eq(followupEnrolments.sequenceKey, sequence));
    return rows.find((r) => (by.leadId === undefined || r.leadId === by.leadId) && (by.amoLeadId === undefined || r.amoLeadId === by.amoLeadId));
  }, `an enrolment in ${sequence}`);
}

/** Waits for a step of the enrolment to be scheduled, then moves its due time to now (the wait is over). */
async function timePasses(server: Server, enrolmentId: string, stepIndex: number): Promise<void> {
  const where = and(eq(followupSteps.enrolmentId, enrolmentId), eq(followupSteps.stepIndex, stepIndex));
  const step = await until(async () => (await server.db.db.select().from(followupSteps).where(where))[0], `step ${stepIndex}`);
  if (step.status === 'scheduled') await server.db.db.update(followupSteps).set({ dueAt: new Date() }).where(and(where, eq(followupSteps.status, 'scheduled')));
  server.followups.wake();
}

async function post(base: string, path: string, body: object): Promise<string> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('the presets’ follow-up sequences', { timeout: 400_000 }, () => {
  it('Asia Deals: welcome at once, the 2 h reminder with a call-back task, the presentation on entering Презентация', async () => {
    const sb = await startSandbox(preset('asia-deals.yaml'));
    open.push(sb);
    const { server, base } = sb;
    const wa = server.whatsapp.emulator();
    const catcher = server.email.catcher();
    if (!wa || !catcher) throw new Error('the channel sandboxes are not running');

    const leadId = await post(base, '/api/leads/', { name: 'Анна Ким', phone: '+79001234568', email: 'anna@example.test', consent: true, object: 'Вилла' });
    const welcome = await until(async () => catcher.messages().find((m) => m.envelope.to.includes('anna@example.test')), 'the welcome email');
    expect(welcome.subject).toBe('Анна, каталог объектов Asia Deals');
    expect(welcome.text).toContain('Вы интересовались: Вилла.');
    await until(async () => wa.control.messages().find((m) => m.template?.name === 'lead_welcome' && m.template.params[0] === 'Анна'), 'the WhatsApp welcome');

    // The deal is created in "Новый лид": the reminder's first step falls due two hours after the deal entered it.
    const amoLeadId = await until(async () => (await getLead(server.db.db, leadId))?.amoLeadId, 'the deal');
    const reminder = await enrolment(server, 'new-lead-reminder', { amoLeadId });
    const [first] = await server.db.db.select().from(followupSteps).where(eq(followupSteps.enrolmentId, reminder.id));
    const dueAt = await until(async () => {
      const d = state(server).leads.find((l) => l.id === amoLeadId);
      return d ? first?.dueAt : undefined;
    }, 'the reminder step');
    expect(dueAt.getTime() - reminder.createdAt.getTime()).toBeGreaterThan(2 * 3600_000 - 120_000);
    expect(dueAt.getTime() - reminder.createdAt.getTime()).toBeLessThan(2 * 3600_000 + 120_000);

    // Two hours later the deal is still in "Новый лид": WhatsApp reminder, then the call-back task for the manager.
    await timePasses(server, reminder.id, 0);
    await until(async () => wa.control.messages().find((m) => m.template?.name === 'lead_reminder'), 'the WhatsApp reminder');
    expect(wa.control.messages().find((m) => m.template?.name === 'lead_reminder')?.template?.params).toEqual(['Анна', 'Asia Deals landing']);
    const task = await until(async () => state(server).tasks.find((t) => t.entity_id === amoLeadId), 'the call-back task');
    expect(task.text).toBe('Перезвонить клиенту Анна Ким (+79001234568): заявка 2 часа в «Новый лид»');
    expect(task.task_type_id).toBe(1);

    // The manager moves the deal to "Презентация" (the emulator's UI action → webhook): the presentation email.
    const deal = state(server).leads.find((l) => l.id === amoLeadId);
    const pipeline = state(server).pipelines.find((p) => p.id === deal?.pipeline_id);
    const presentation = pipeline?._embedded.statuses.find((s) => s.name === 'Презентация');
    if (!deal || !presentation) throw new Error('no Презентация stage');
    emu(server).control.moveLead(deal.id, deal.pipeline_id, presentation.id);
    await emu(server).control.flushWebhooks();
    await timePasses(server, (await enrolment(server, 'presentation', { amoLeadId })).id, 0);
    const mail = await until(async () => catcher.messages().find((m) => m.subject === 'Анна, презентация объектов'), 'the presentation email');
    expect(mail.text).toContain('https://asia-deals.example/presentation.pdf');
    const ended = await until(async () => {
      const [row] = await server.db.db.select().from(followupEnrolments).where(eq(followupEnrolments.id, reminder.id));
      return row?.status !== 'active' ? row : undefined;
    }, 'the reminder enrolment to end');
    expect(ended.status).toBe('completed');
  });

  it('FitZone: a WhatsApp trial invitation at once, an email reminder the next day', async () => {
    const sb = await startSandbox(preset('fitzone.yaml'));
    open.push(sb);
    const { server, base } = sb;
    const wa = server.whatsapp.emulator();
    const catcher = server.email.catcher();
    if (!wa || !catcher) throw new Error('the channel sandboxes are not running');

    const leadId = await post(base, '/api/crm', { name: 'Иван Иванов', phone: '+7 (999) 123-45-67', email: 'ivan@example.test', direction: 'Йога', consent: true });
    const trial = await enrolment(server, 'trial', { leadId });
    await timePasses(server, trial.id, 0);
    const invite = await until(async () => wa.control.messages().find((m) => m.template?.name === 'trial_invite'), 'the trial invitation');
    expect(invite).toMatchObject({ waId: '79991234567', template: { language: 'ru', params: ['Иван', 'FitZone'] } });
    expect(catcher.messages()).toHaveLength(0);

    await until(async () => {
      const steps = await server.db.db.select().from(followupSteps).where(eq(followupSteps.enrolmentId, trial.id));
      const email = steps.find((s) => s.kind === 'email');
      return email && email.dueAt.getTime() - Date.now() > 23 * 3600_000 ? email : undefined;
    }, 'the reminder scheduled a day later');
    await timePasses(server, trial.id, 2);
    const mail = await until(async () => catcher.messages().find((m) => m.envelope.to.includes('ivan@example.test')), 'the email reminder');
    expect(mail.subject).toBe('Иван, ждём вас на пробной тренировке');
    expect(mail.text).toContain('(Йога)');
  });
});
