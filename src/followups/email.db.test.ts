// Follow-ups over a real SMTP server (smtp-server on port 0, mails parsed with mailparser): a lead captured over
// HTTP → lead.captured → enrolment → email steps; unsubscribe, SMTP down, quiet hours with an injected clock.
import type { FastifyInstance } from 'fastify';
import type { ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { followupEnrolments, followupSteps } from '../db/index.js';
import { createSmtpChannel, type SmtpChannel } from '../email/index.js';
import { buildApp } from '../../test/app.js';
import { createFollowups, type Followups } from './index.js';
import { freePort, startTestSmtp, testClock, yamlConfig, type TestSmtp } from '../../test/followups.js';

const YAML = `
forms:
  default: { title: Сайт }
followups:
  timezone: Europe/Moscow
  quiet_hours: { start: "21:00", end: "09:00" }
sequences:
  welcome:
    trigger: { lead_captured: {} }
    steps:
      - email:
          subject: "Здравствуйте, {{first_name}}!"
          text: { file: welcome.txt }
          html: "<html><body><h1>Привет, {{name}}</h1><p>Форма: {{form.title}}</p></body></html>"
      - wait: 1d
      - email:
          subject: "Напоминание"
          text: "{{name}}, мы ждём ответа."
`;

interface Ctx {
  tdb: TestDb;
  app: FastifyInstance;
  fu: Followups;
  smtp: TestSmtp | undefined;
  channel: SmtpChannel;
  clock: ReturnType<typeof testClock>;
}
const open: Ctx[] = [];

afterEach(async () => {
  for (const c of open.splice(0)) {
    await c.fu.stop();
    c.channel.close();
    await c.app.close();
    await c.smtp?.close();
    await c.tdb.cleanup();
  }
});

async function setup(o: { smtpUrl?: string; smtp?: TestSmtp; yaml?: string; start?: string } = {}): Promise<Ctx> {
  const tdb = await createTestDb();
  const smtp = o.smtp ?? (o.smtpUrl ? undefined : await startTestSmtp());
  const config = yamlConfig(o.yaml ?? YAML, { 'welcome.txt': 'Спасибо за заявку, {{name}}!\nТелефон: {{lead.phone}}' });
  const clock = testClock(o.start ?? '2030-12-01T09:00:00Z'); // 12:00 in Moscow
  const channel = createSmtpChannel({ url: o.smtpUrl ?? (smtp as TestSmtp).url, from: 'Asia Deals <hello@asia-deals.test>', ignoreTLS: true });
  const fu = createFollowups({ db: tdb.db, config, account: 'default', channels: { email: channel }, pipelines: async () => undefined, now: clock.now, random: () => 0.5 });
  const app = await buildApp({ config, db: tdb, extraRoutes: [(ctx) => fu.routes(ctx)], followupsView: (id) => fu.leadFollowups(id) });
  const c = { tdb, app, fu, smtp, channel, clock };
  open.push(c);
  return c;
}

async function capture(c: Ctx, body: Record<string, unknown> = {}): Promise<string> {
  const res = await c.app.inject({ method: 'POST', url: '/api/leads', payload: { name: 'Анна Петрова', email: 'anna@example.test', phone: '+7 916 123-45-67', ...body } });
  expect(res.statusCode).toBe(202);
  // The consumer reads only below the oldest running transaction of the cluster (src/events): on a PostgreSQL shared
  // with other suites the lead's event can be a moment late. Poll until it has been handled.
  const deadline = Date.now() + 60_000;
  while ((await c.fu.pollEvents()) === 0) {
    if (Date.now() > deadline) throw new Error('the lead.captured event was never handled');
    await new Promise((r) => setTimeout(r, 50));
  }
  return (res.json() as { id: string }).id;
}

/** The HTTPS URI of the (single) List-Unsubscribe header. */
function unsubscribeUrl(mail: ParsedMail | undefined): string {
  const line = mail?.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
  return /<(https:[^>]+)>/.exec(line.replace(/\r?\n\s+/g, ''))?.[1] ?? '';
}

async function stepsOf(c: Ctx) {
  return c.tdb.db.select().from(followupSteps).orderBy(followupSteps.id);
}

describe('follow-ups over SMTP', { timeout: 300_000 }, () => {
  it('sends the first email at once as multipart text + HTML with one-click unsubscribe headers and our Message-ID', async () => {
    const c = await setup();
    const leadId = await capture(c);
    expect(await c.fu.tick()).toBe(1);
    const [mail] = await (c.smtp as TestSmtp).waitFor(1);
    expect(mail?.subject).toBe('Здравствуйте, Анна!');
    expect(mail?.text).toContain('Спасибо за заявку, Анна Петрова!');
    expect(mail?.text).toContain('Телефон: +79161234567');
    expect(mail?.html).toContain('<h1>Привет, Анна Петрова</h1>');
    expect(mail?.html).toContain('Форма: Сайт');
    const unsub = unsubscribeUrl(mail);
    expect(mail?.headerLines.filter((h) => h.key === 'list-unsubscribe')).toHaveLength(1);
    expect(unsub).toMatch(/^https:\/\/lb\.example\.test\/unsubscribe\/[0-9a-f]{32}\.[\w-]{22}$/);
    expect(mail?.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const [step] = await stepsOf(c);
    expect(step).toMatchObject({ status: 'sent', kind: 'email', attempts: 1, detail: { subject: 'Здравствуйте, Анна!' } });
    expect(mail?.messageId).toBe(step?.messageId);
    // The next email waits a day; the lead view lists both steps.
    const steps = await stepsOf(c);
    expect(steps[1]).toMatchObject({ status: 'scheduled', stepIndex: 2 });
    expect(steps[1]?.dueAt.toISOString()).toBe('2030-12-02T09:00:00.000Z');
    const res = await c.app.inject({ method: 'GET', url: `/api/leads/${leadId}`, headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    expect(res.statusCode).toBe(200);
    const view = (res.json() as { followups: unknown[] }).followups;
    expect(view[0]).toMatchObject({ sequence: 'welcome', status: 'active', steps: [{ channel: 'email', status: 'sent', message_id: step?.messageId }, { channel: 'email', status: 'scheduled', sent_at: null }] });
  });

  it('one-click unsubscribe (POST) ends the sequence: no further email; GET only asks to confirm', async () => {
    const c = await setup();
    await capture(c);
    await c.fu.tick();
    const [mail] = await (c.smtp as TestSmtp).waitFor(1);
    const url = new URL(unsubscribeUrl(mail));
    expect(mail?.text).toContain(url.href);
    const page = await c.app.inject({ method: 'GET', url: url.pathname });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post">');
    const [still] = await c.tdb.db.select().from(followupEnrolments);
    expect(still?.status).toBe('active');
    const forged = await c.app.inject({ method: 'POST', url: `${url.pathname}x`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(forged.statusCode).toBe(404);
    const res = await c.app.inject({ method: 'POST', url: url.pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(res.statusCode).toBe(200);
    const [en] = await c.tdb.db.select().from(followupEnrolments);
    expect(en).toMatchObject({ status: 'exited', exitReason: 'unsubscribed' });
    c.clock.advance(2 * 86_400_000);
    await c.fu.tick();
    expect((c.smtp as TestSmtp).mails).toHaveLength(1);
    expect((await stepsOf(c))[1]).toMatchObject({ status: 'cancelled', reason: 'unsubscribed' });
    // A new lead with the same address is not mailed either (enrol once; the address is suppressed).
    await capture(c, { idempotency_key: 'second' });
    await c.fu.tick();
    expect((c.smtp as TestSmtp).mails).toHaveLength(1);
  });

  it('SMTP down → the step is retried with backoff, then sent exactly once', async () => {
    const port = await freePort();
    const c = await setup({ smtpUrl: `smtp://127.0.0.1:${port}` });
    await capture(c);
    await c.fu.tick();
    let [step] = await stepsOf(c);
    expect(step).toMatchObject({ status: 'scheduled', attempts: 1, reason: 'retrying', error: { code: 'smtp_esocket' } });
    expect(step?.dueAt.getTime()).toBe(c.clock.now() + 30_000);
    // Not due yet: nothing happens.
    await c.fu.tick();
    expect((await stepsOf(c))[0]?.attempts).toBe(1);
    const smtp = await startTestSmtp(port);
    c.smtp = smtp;
    c.clock.advance(31_000);
    expect(await c.fu.tick()).toBe(1);
    await smtp.waitFor(1);
    [step] = await stepsOf(c);
    expect(step).toMatchObject({ status: 'sent', attempts: 2 });
    c.clock.advance(60_000);
    await c.fu.tick();
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]?.messageId).toBe(step?.messageId);
  });

  it('a 550 for the recipient ends email for that address (bounced): later email steps are skipped with the reason', async () => {
    const c = await setup();
    (c.smtp as TestSmtp).reject.add('anna@example.test');
    await capture(c);
    await c.fu.tick();
    c.clock.advance(86_400_000 + 1000);
    await c.fu.tick();
    const steps = await stepsOf(c);
    expect(steps[0]).toMatchObject({ status: 'failed', reason: 'smtp_550' });
    // The only channel ahead is ended: the enrolment exits as undeliverable before its next step.
    const [en] = await c.tdb.db.select().from(followupEnrolments);
    expect(en).toMatchObject({ status: 'exited', exitReason: 'undeliverable' });
    expect((c.smtp as TestSmtp).mails).toHaveLength(0);
  });

  it('quiet hours defer a step to the next allowed time (injected clock)', async () => {
    const c = await setup({ start: '2030-12-01T19:30:00Z' }); // 22:30 in Moscow
    await capture(c);
    const [step] = await stepsOf(c);
    expect(step?.dueAt.toISOString()).toBe('2030-12-02T06:00:00.000Z'); // 09:00 Moscow
    expect(await c.fu.tick()).toBe(0);
    c.clock.set('2030-12-02T05:59:00Z');
    expect(await c.fu.tick()).toBe(0);
    expect((c.smtp as TestSmtp).mails).toHaveLength(0);
    c.clock.set('2030-12-02T06:00:01Z');
    expect(await c.fu.tick()).toBe(1);
    await (c.smtp as TestSmtp).waitFor(1);
    expect((c.smtp as TestSmtp).mails).toHaveLength(1);
  });

  it('an operator stop ends the enrolment; the admin API lists it and previews a step for the lead', async () => {
    const c = await setup();
    const leadId = await capture(c);
    const auth = { authorization: 'Bearer test-admin-token-0123456789' };
    const list = await c.app.inject({ method: 'GET', url: `/api/admin/followups/enrolments?lead_id=${leadId}`, headers: auth });
    expect(list.statusCode).toBe(200);
    const id = (list.json() as { enrolments: { id: string }[] }).enrolments[0]?.id;
    const preview = await c.app.inject({ method: 'GET', url: `/api/admin/followups/preview?lead_id=${leadId}&sequence=welcome&step=2`, headers: auth });
    expect(preview.json()).toMatchObject({ channel: 'email', to: 'anna@example.test', subject: 'Напоминание', text: expect.stringContaining('Анна Петрова, мы ждём ответа.') });
    const stop = await c.app.inject({ method: 'POST', url: `/api/admin/followups/enrolments/${id}/stop`, headers: auth });
    expect(stop.json()).toMatchObject({ status: 'exited', exit_reason: 'stopped', steps: [{ status: 'cancelled' }] });
    expect(await c.fu.tick()).toBe(0);
    expect((c.smtp as TestSmtp).mails).toHaveLength(0);
    const noAuth = await c.app.inject({ method: 'GET', url: '/api/admin/followups/enrolments' });
    expect(noAuth.statusCode).toBe(401);
    const missing = await c.app.inject({ method: 'GET', url: `/api/admin/followups/preview?lead_id=${leadId}&sequence=nope&step=0`, headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'SEQUENCE_NOT_FOUND' });
  });
});
