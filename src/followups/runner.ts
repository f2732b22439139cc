// Runs due steps. Each step: claim (SKIP LOCKED) → one transaction that checks the exits, quiet hours, the daily
// cap, the address and opt-in, renders, and records the attempt (`sending`, committed) → the channel call →
// one transaction that records the outcome and schedules the next step. A step that reached `sending` is never
// sent again: a crash there leaves it to the sweeper, which marks it `unknown` (docs/followups.md).
import type { AmoClient } from '../amocrm/index.js';
import type { Database, FollowupDealRow, FollowupEnrolmentRow, FollowupStepRow } from '../db/index.js';
import { advance } from './plan.js';
import { renderStep, type Rendered } from './render.js';
import { localDayStart, nextAllowed, retryDelayMs } from './schedule.js';
import { channelsAhead, type Sequence } from './sequences.js';
import {
  dealOfLead,
  earlierEmailIds,
  exitEnrolments,
  getDeal,
  getEnrolment,
  getEnrolmentForUpdate,
  getStepForUpdate,
  queueNote,
  sentSince,
  suppress,
  suppressions,
  sweepUnknown,
  updateStep,
  type Tx,
} from './sql.js';
import type { ExitReason, FollowupChannels, FollowupLogger, SendResult } from './types.js';

export interface RunnerDeps {
  db: Database;
  sequences: Map<string, Sequence>;
  channels: FollowupChannels;
  amo?: AmoClient | undefined;
  workerId: string;
  dailyCap: number;
  maxAttempts: number;
  /** Domain of our Message-IDs (from LEADBRIDGE_MAIL_FROM). */
  messageIdDomain: string;
  unsubscribeUrl: (enrolment: FollowupEnrolmentRow) => string;
  managerName?: ((userId: number) => Promise<string | null>) | undefined;
  now: () => number;
  random?: () => number;
  logger?: FollowupLogger | undefined;
}

type Prepared = { step: FollowupStepRow; enrolment: FollowupEnrolmentRow; seq: Sequence; rendered: Rendered; deal: FollowupDealRow | undefined; references: string[] };

async function dealFor(tx: Tx, en: FollowupEnrolmentRow): Promise<FollowupDealRow | undefined> {
  if (en.amoLeadId !== null) return getDeal(tx, en.account, en.amoLeadId);
  if (en.leadId !== null) return dealOfLead(tx, en.account, en.leadId);
  return undefined;
}

/** The first exit that applies before the step at `index`, or null. */
export function exitReason(
  seq: Sequence,
  en: FollowupEnrolmentRow,
  deal: FollowupDealRow | undefined,
  ended: { channel: 'email' | 'whatsapp'; reason: string }[],
  index: number,
): { reason: ExitReason; detail: string } | null {
  if (deal?.closed === 'won' && seq.exitOn.has('won')) return { reason: 'won', detail: 'the deal was won' };
  if (deal?.closed === 'lost' && seq.exitOn.has('lost')) return { reason: 'lost', detail: 'the deal was lost' };
  if (deal?.closed === 'deleted') return { reason: 'stopped', detail: 'the deal was deleted in amoCRM' };
  if (en.stage && deal && seq.exitOn.has('left_stage') && deal.statusId !== null && deal.statusId !== en.stage.status_id) {
    return { reason: 'left_stage', detail: `moved to stage ${deal.statusId}` };
  }
  if (seq.exitOn.has('unsubscribed') && ended.some((s) => s.reason === 'unsubscribed')) return { reason: 'unsubscribed', detail: `unsubscribed (${ended.filter((s) => s.reason === 'unsubscribed').map((s) => s.channel).join(', ')})` };
  const ahead = channelsAhead(seq, index);
  if (seq.exitOn.has('undeliverable') && ahead.size > 0 && [...ahead].every((c) => ended.some((s) => s.channel === c))) {
    return { reason: 'undeliverable', detail: `no channel left: ${ended.map((s) => `${s.channel} ${s.reason}`).join(', ')}` };
  }
  return null;
}

export function createRunner(deps: RunnerDeps) {
  const random = deps.random ?? Math.random;
  const log = deps.logger;

  async function finish(tx: Tx, step: FollowupStepRow, en: FollowupEnrolmentRow, seq: Sequence, set: Partial<FollowupStepRow>, now: Date): Promise<void> {
    await updateStep(tx, step.id, { ...set, doneAt: now }, now);
    await advance(tx, seq, en, step.stepIndex + 1, now.getTime(), now);
  }

  async function prepare(step: FollowupStepRow, managerName: string | null): Promise<Prepared | null> {
    return deps.db.transaction(async (tx) => {
      const now = new Date(deps.now());
      const st = await getStepForUpdate(tx, step.id);
      if (!st || st.status !== 'claimed' || st.claimedBy !== deps.workerId) return null;
      const en = await getEnrolmentForUpdate(tx, st.enrolmentId);
      if (!en || en.status !== 'active') {
        await updateStep(tx, st.id, { status: 'cancelled', reason: en?.exitReason ?? 'enrolment_ended', doneAt: now }, now);
        return null;
      }
      const seq = deps.sequences.get(en.sequenceKey);
      const def = seq?.steps[st.stepIndex];
      if (!seq || !def || def.kind !== st.kind) {
        await exitEnrolments(tx, [en.id], 'stopped', 'the sequence or its step is no longer in the config', now);
        return null;
      }
      const deal = await dealFor(tx, en);
      const ended = await suppressions(tx, en.account, en.vars.email, en.vars.phone);
      const exit = exitReason(seq, en, deal, ended, st.stepIndex);
      if (exit) {
        await exitEnrolments(tx, [en.id], exit.reason, exit.detail, now);
        return null;
      }
      const nowMs = now.getTime();
      if (st.kind !== 'task') {
        const allowed = nextAllowed(nowMs, seq.timezone, seq.quiet);
        if (allowed > nowMs) {
          await updateStep(tx, st.id, { status: 'scheduled', dueAt: new Date(allowed), reason: 'quiet_hours', claimedAt: null, claimedBy: null }, now);
          return null;
        }
        const dayStart = localDayStart(nowMs, seq.timezone);
        if ((await sentSince(tx, en.personKey, new Date(dayStart))) >= deps.dailyCap) {
          const due = nextAllowed(dayStart + 86_400_000, seq.timezone, seq.quiet);
          await updateStep(tx, st.id, { status: 'scheduled', dueAt: new Date(due), reason: 'daily_cap', claimedAt: null, claimedBy: null }, now);
          return null;
        }
        const skip = skipReason(st.kind, en, ended, deps.channels);
        if (skip) {
          await finish(tx, st, en, seq, { status: 'skipped', reason: skip }, now);
          return null;
        }
      }
      let rendered: Rendered;
      try {
        rendered = renderStep(def, {
          vars: en.vars,
          leadId: en.leadId,
          deal: { id: deal?.amoLeadId ?? en.amoLeadId, pipelineId: deal?.pipelineId ?? null, statusId: deal?.statusId ?? null },
          manager: { id: deal?.responsibleUserId ?? null, name: managerName },
          unsubscribeUrl: deps.unsubscribeUrl(en),
          sequence: seq,
        });
      } catch (e) {
        await finish(tx, st, en, seq, { status: 'failed', reason: 'template_error', error: { message: e instanceof Error ? e.message : String(e) } }, now);
        return null;
      }
      const references = st.kind === 'email' ? await earlierEmailIds(tx, en.id, st.stepIndex) : [];
      const messageId = st.kind === 'email' ? `<lb.${st.id}.${en.id.slice(0, 8)}@${deps.messageIdDomain}>` : null;
      const detail: Record<string, unknown> =
        rendered.kind === 'email' ? { subject: rendered.subject } : rendered.kind === 'whatsapp' ? (rendered.template ? { template: rendered.template.name, language: rendered.template.language } : { text: true }) : { task: rendered.text.slice(0, 200) };
      // The attempt is recorded (and committed) before the channel is called.
      await updateStep(tx, st.id, { status: 'sending', sendingAt: now, attempts: st.attempts + 1, messageId, detail, reason: null }, now);
      return { step: { ...st, attempts: st.attempts + 1, messageId, detail }, enrolment: en, seq, rendered, deal, references };
    });
  }

  async function call(p: Prepared): Promise<SendResult> {
    const { rendered, enrolment: en, step } = p;
    if (rendered.kind === 'email') {
      const ch = deps.channels.email;
      if (!ch || !en.vars.email) return { ok: false, kind: 'skip', code: 'no_email_channel', message: 'no email channel' };
      return ch.send({
        to: en.vars.email,
        subject: rendered.subject,
        text: rendered.text,
        ...(rendered.html !== undefined ? { html: rendered.html } : {}),
        messageId: step.messageId as string,
        unsubscribeUrl: deps.unsubscribeUrl(en),
        ...(p.references.length ? { references: p.references } : {}),
      });
    }
    if (rendered.kind === 'whatsapp') {
      const ch = deps.channels.whatsapp;
      if (!ch || !en.vars.phone) return { ok: false, kind: 'skip', code: 'no_whatsapp_channel', message: 'no WhatsApp channel' };
      return ch.send({
        to: en.vars.phone,
        ...(rendered.template ? { template: rendered.template } : {}),
        ...(rendered.text !== undefined ? { text: rendered.text } : {}),
        callbackData: `fu:${step.id}`,
      });
    }
    return createTask(p);
  }

  async function createTask(p: Prepared): Promise<SendResult> {
    const def = p.seq.steps[p.step.stepIndex];
    const amoLeadId = p.deal?.amoLeadId ?? p.enrolment.amoLeadId;
    if (!deps.amo) return { ok: false, kind: 'skip', code: 'no_amocrm', message: 'no amoCRM client' };
    if (amoLeadId === null || amoLeadId === undefined) return { ok: false, kind: 'transient', code: 'no_deal_yet', message: 'the deal is not known yet', retryAfterMs: 60_000 };
    try {
      const [created] = await deps.amo.tasks.create([
        {
          text: p.rendered.kind === 'task' ? p.rendered.text : '',
          complete_till: Math.floor((deps.now() + (def?.kind === 'task' ? def.dueMs : 3_600_000)) / 1000),
          entity_id: amoLeadId,
          entity_type: 'leads',
          task_type_id: def?.kind === 'task' ? def.type : 1,
          ...(p.deal?.responsibleUserId ? { responsible_user_id: p.deal.responsibleUserId } : {}),
          request_id: `fu:${p.step.id}`,
        },
      ]);
      return { ok: true, messageId: String(created?.id ?? '') };
    } catch (e) {
      const status = (e as { status?: number }).status;
      const message = e instanceof Error ? e.message : String(e);
      if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 401) return { ok: false, kind: 'permanent', code: `amocrm_${status}`, message };
      return { ok: false, kind: 'transient', code: status ? `amocrm_${status}` : 'amocrm_unreachable', message };
    }
  }

  async function record(p: Prepared, r: SendResult): Promise<void> {
    await deps.db.transaction(async (tx) => {
      const now = new Date(deps.now());
      const st = await getStepForUpdate(tx, p.step.id);
      if (!st) return;
      // `unknown` here: the sweeper gave up on this attempt while the call was still running (it advanced already).
      const owner = st.status === 'sending';
      if (!owner && st.status !== 'unknown') return;
      const en = (await getEnrolment(tx, st.enrolmentId)) ?? p.enrolment;
      const done = async (set: Partial<FollowupStepRow>) => {
        if (owner) await finish(tx, st, en, p.seq, set, now);
        else await updateStep(tx, st.id, set, now);
      };
      if (r.ok) {
        await done({ status: st.kind === 'task' ? 'done' : 'sent', messageId: st.kind === 'email' ? st.messageId : r.messageId, error: null, reason: null });
        if (st.kind !== 'task') await queueNote(tx, en.account, { leadId: en.leadId, amoLeadId: p.deal?.amoLeadId ?? en.amoLeadId, text: noteText(p, 'sent') }, now);
        return;
      }
      const error = { code: r.code, message: r.message.slice(0, 500) };
      if (r.kind === 'skip') return done({ status: 'skipped', reason: r.code, error });
      if (r.kind === 'unknown') return done({ status: 'unknown', reason: 'outcome_unknown', error });
      if (r.kind === 'transient' && owner && st.attempts < deps.maxAttempts) {
        const due = now.getTime() + Math.max(r.retryAfterMs ?? 0, retryDelayMs(st.attempts, random));
        await updateStep(tx, st.id, { status: 'scheduled', dueAt: new Date(due), sendingAt: null, claimedAt: null, claimedBy: null, reason: 'retrying', error }, now);
        return;
      }
      if (r.kind === 'permanent' && (st.kind === 'email' || st.kind === 'whatsapp')) {
        const address = st.kind === 'email' ? en.vars.email : en.vars.phone;
        const endsChannel = r.code.startsWith('smtp_5') || r.code === 'wa_131026' || r.code === 'wa_131050';
        if (address && endsChannel) await suppress(tx, en.account, st.kind, address, r.code === 'wa_131050' ? 'unsubscribed' : st.kind === 'email' ? 'bounced' : 'undeliverable', r.message.slice(0, 300));
      }
      await done({ status: 'failed', reason: r.kind === 'transient' ? 'retries_exhausted' : r.code, error });
      if (st.kind !== 'task') await queueNote(tx, en.account, { leadId: en.leadId, amoLeadId: p.deal?.amoLeadId ?? en.amoLeadId, text: noteText(p, `failed: ${r.code}`) }, now);
    });
  }

  async function runStep(step: FollowupStepRow): Promise<void> {
    let managerName: string | null = null;
    if (deps.managerName) {
      const en = await getEnrolment(deps.db, step.enrolmentId);
      const deal = en ? await dealFor(deps.db, en) : undefined;
      if (deal?.responsibleUserId) managerName = await deps.managerName(deal.responsibleUserId).catch(() => null);
    }
    const p = await prepare(step, managerName);
    if (!p) return;
    let r: SendResult;
    try {
      r = await call(p);
    } catch (e) {
      // A channel that throws has no answer for us: the message may have gone out.
      r = { ok: false, kind: 'unknown', code: 'channel_threw', message: e instanceof Error ? e.message : String(e) };
    }
    if (!r.ok) log?.info({ stepId: p.step.id, kind: p.step.kind, result: r.kind, code: r.code }, 'follow-up step not sent');
    await record(p, r);
  }

  /** Marks attempts left in `sending` past the timeout as unknown and moves their enrolments on. */
  async function sweep(sendingTimeoutMs: number): Promise<number> {
    const now = new Date(deps.now());
    const rows = await sweepUnknown(deps.db, new Date(now.getTime() - sendingTimeoutMs), now);
    for (const st of rows) {
      await deps.db.transaction(async (tx) => {
        const en = await getEnrolmentForUpdate(tx, st.enrolmentId);
        const seq = en ? deps.sequences.get(en.sequenceKey) : undefined;
        if (en && seq && en.status === 'active') await advance(tx, seq, en, st.stepIndex + 1, now.getTime(), now);
      });
      log?.warn({ stepId: st.id, kind: st.kind }, 'follow-up step outcome unknown after a crash; not resent');
    }
    return rows.length;
  }

  return { runStep, sweep };
}

function skipReason(kind: 'email' | 'whatsapp' | 'task', en: FollowupEnrolmentRow, ended: { channel: string; reason: string }[], channels: FollowupChannels): string | null {
  if (kind === 'task') return null;
  const v = en.vars;
  if (kind === 'email') {
    if (!v.email) return 'no_email_address';
    if (!v.optIn.email) return 'no_email_opt_in';
    const s = ended.find((x) => x.channel === 'email');
    if (s) return `email_${s.reason}`;
    if (!channels.email) return 'email_channel_off';
    return null;
  }
  if (!v.phone) return 'no_phone';
  if (!v.optIn.whatsapp) return 'no_whatsapp_opt_in';
  const s = ended.find((x) => x.channel === 'whatsapp');
  if (s) return `whatsapp_${s.reason}`;
  if (!channels.whatsapp) return 'whatsapp_channel_off';
  return null;
}

function noteText(p: Prepared, status: string): string {
  const r = p.rendered;
  const what = r.kind === 'email' ? `Email «${r.subject}»` : r.kind === 'whatsapp' ? (r.template ? `WhatsApp template ${r.template.name} (${r.template.language})` : 'WhatsApp message') : 'Task';
  return `Leadbridge follow-up «${p.seq.title}», step ${p.step.stepIndex + 1}: ${what} → ${status}`;
}
