// Applies domain events to follow-ups, inside the consumer's transaction: enrols people (lead captured, deal
// entered a stage, deal idle in a stage), keeps the deal projection, and ends enrolments on what happened in
// amoCRM (left the stage, won, lost, deleted) or on WhatsApp (a reply, a "stop").
import type { EnrolmentVars } from '../db/index.js';
import type { EventName } from '../events/index.js';
import { getLead } from '../intake/index.js';
import { advance, personKey } from './plan.js';
import { stageMatches, type PipelineMap, type Sequence } from './sequences.js';
import {
  activeEnrolments,
  exitEnrolments,
  getDeal,
  insertEnrolment,
  leadsByPhone,
  linkDeal,
  queueNote,
  stepByMessageId,
  suppress,
  updateStep,
  upsertDeal,
  type Tx,
} from './sql.js';
import type { WhatsAppInboundPayload, WhatsAppStatusPayload } from './types.js';

/** The part of a domain event follow-ups read. */
export interface FollowupEvent {
  id: number | string;
  type: string;
  payload: Record<string, unknown>;
  leadId?: string | null;
  amoLeadId?: number | null;
  occurredAt?: Date | null;
}

export const CONSUMED_EVENTS = [
  'lead.captured',
  'lead.delivered',
  'deal.created',
  'deal.stage_changed',
  'deal.history_changed',
  'deal.responsible_changed',
  'deal.won',
  'deal.lost',
  'deal.deleted',
  'whatsapp.inbound',
  'whatsapp.status',
] as const satisfies readonly EventName[];

export type OptInRule = 'always' | 'consent' | 'never';

export interface EnrolDeps {
  account: string;
  sequences: Sequence[];
  /** Opt-in per form (`*` = the rest). Defaults: email always (an address is enough), WhatsApp on consent. */
  optIn: Record<string, { email: OptInRule; whatsapp: OptInRule }>;
  formTitles: Record<string, string>;
  /** The provisioned pipelines, read in the caller's transaction (PGlite has one connection: never outside it). */
  pipelines: (tx: Tx) => Promise<PipelineMap | undefined>;
  now: () => number;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : null);

function stageOf(p: Record<string, unknown>): { pipelineId: number | null; statusId: number | null } {
  const to = (p.to ?? p) as Record<string, unknown>;
  return { pipelineId: num(to.pipeline_id), statusId: num(to.status_id) };
}

export async function applyEvents(tx: Tx, deps: EnrolDeps, events: FollowupEvent[]): Promise<void> {
  for (const e of events) await applyEvent(tx, deps, e);
}

async function applyEvent(tx: Tx, deps: EnrolDeps, e: FollowupEvent): Promise<void> {
  const now = new Date(deps.now());
  const at = e.occurredAt ?? now;
  const p = e.payload ?? {};
  const amoLeadId = e.amoLeadId ?? num(p.amo_lead_id);
  const leadId = e.leadId ?? (typeof p.lead_id === 'string' ? p.lead_id : null);
  switch (e.type) {
    case 'lead.captured': {
      if (!leadId) return;
      const seqs = deps.sequences.filter((s) => s.enabled && s.trigger.type === 'lead_captured');
      const formKey = typeof p.form === 'string' ? p.form : null;
      const matching = seqs.filter((s) => s.trigger.type === 'lead_captured' && (!s.trigger.forms || formKey === null || s.trigger.forms.includes(formKey)));
      if (matching.length === 0) return;
      const vars = await leadVars(tx, deps, leadId);
      if (!vars) return;
      const filtered = matching.filter((s) => s.trigger.type === 'lead_captured' && (!s.trigger.forms || (vars.form !== null && s.trigger.forms.includes(vars.form))));
      for (const s of filtered) await enrol(tx, deps, s, { leadId, amoLeadId: null, vars, stage: null, eventId: e.id, startMs: Math.max(at.getTime(), now.getTime()) });
      return;
    }
    case 'lead.delivered':
    case 'deal.created': {
      if (amoLeadId === null) return;
      const { pipelineId, statusId } = stageOf(p);
      const rid = num(p.responsible_user_id ?? p.responsibleUserId);
      await upsertDeal(
        tx,
        deps.account,
        {
          amoLeadId,
          ...(leadId ? { leadId } : {}),
          ...(statusId !== null ? { pipelineId, statusId } : {}),
          ...(rid !== null ? { responsibleUserId: rid } : {}),
          ...(e.type === 'deal.created' ? { stageEnteredAt: at } : {}),
        },
        now,
      );
      if (leadId) await linkDeal(tx, leadId, amoLeadId, e.type === 'deal.created' && statusId !== null ? { pipeline_id: pipelineId, status_id: statusId } : null, now);
      if (e.type === 'deal.created' && statusId !== null) await enterStage(tx, deps, e, amoLeadId, pipelineId, statusId, at, now);
      return;
    }
    case 'deal.stage_changed': {
      if (amoLeadId === null) return;
      const { pipelineId, statusId } = stageOf(p);
      if (statusId === null) return;
      await upsertDeal(tx, deps.account, { amoLeadId, ...(leadId ? { leadId } : {}), pipelineId, statusId, stageEnteredAt: at }, now);
      const from = (p.from ?? {}) as Record<string, unknown>;
      const fromStatus = num(from.status_id);
      if (leadId) await linkDeal(tx, leadId, amoLeadId, fromStatus !== null ? { pipeline_id: num(from.pipeline_id), status_id: fromStatus } : null, now);
      const active = await activeEnrolments(tx, deps.account, { amoLeadId });
      const left = active.filter((en) => {
        const seq = deps.sequences.find((s) => s.key === en.sequenceKey);
        return en.stage && seq?.exitOn.has('left_stage') && (en.stage.status_id !== statusId || (en.stage.pipeline_id !== null && en.stage.pipeline_id !== pipelineId));
      });
      await exitEnrolments(tx, left.map((x) => x.id), 'left_stage', `moved to stage ${statusId}`, now);
      await enterStage(tx, deps, e, amoLeadId, pipelineId, statusId, at, now);
      return;
    }
    case 'deal.history_changed': {
      // The deal's creation webhook came after a later one (amoCRM's deliveries can overtake each other): the deal
      // was created here in a later stage, which lead_captured enrolments took as their stage, and only now is its
      // first stage known. When the deal has already moved on from that first stage, it has left it.
      if (amoLeadId === null || !p.first_stage || typeof p.first_stage !== 'object') return;
      const first = stageOf(p.first_stage as Record<string, unknown>);
      const current = stageOf((p.stage ?? {}) as Record<string, unknown>);
      if (first.statusId === null || current.statusId === null || first.statusId === current.statusId) return;
      const active = await activeEnrolments(tx, deps.account, { amoLeadId });
      const left = active.filter((en) => {
        const seq = deps.sequences.find((s) => s.key === en.sequenceKey);
        return seq?.trigger.type === 'lead_captured' && seq.exitOn.has('left_stage') && en.stage && en.stage.status_id !== first.statusId;
      });
      await exitEnrolments(tx, left.map((x) => x.id), 'left_stage', `moved to stage ${current.statusId}`, now);
      return;
    }
    case 'deal.responsible_changed': {
      if (amoLeadId === null) return;
      const rid = num((p.to as unknown) ?? null);
      if (rid !== null) await upsertDeal(tx, deps.account, { amoLeadId, responsibleUserId: rid }, now);
      return;
    }
    case 'deal.won':
    case 'deal.lost':
    case 'deal.deleted': {
      if (amoLeadId === null) return;
      const closed = e.type === 'deal.won' ? 'won' : e.type === 'deal.lost' ? 'lost' : 'deleted';
      await upsertDeal(tx, deps.account, { amoLeadId, closed }, now);
      const reason = closed === 'deleted' ? 'stopped' : closed;
      const active = await activeEnrolments(tx, deps.account, { amoLeadId });
      const ids = active.filter((en) => deps.sequences.find((s) => s.key === en.sequenceKey)?.exitOn.has(reason)).map((x) => x.id);
      await exitEnrolments(tx, ids, reason, closed === 'deleted' ? 'the deal was deleted in amoCRM' : `the deal was ${closed}`, now);
      return;
    }
    case 'whatsapp.inbound':
      await inbound(tx, deps, p as unknown as WhatsAppInboundPayload, now);
      return;
    case 'whatsapp.status':
      await status(tx, deps.account, p as unknown as WhatsAppStatusPayload, now);
      return;
    default:
      return;
  }
}

async function enterStage(tx: Tx, deps: EnrolDeps, e: FollowupEvent, amoLeadId: number, pipelineId: number | null, statusId: number, at: Date, now: Date): Promise<void> {
  const seqs = deps.sequences.filter((s) => s.enabled && (s.trigger.type === 'deal_entered' || s.trigger.type === 'deal_idle'));
  if (seqs.length === 0) return;
  const map = await deps.pipelines(tx);
  const deal = await getDeal(tx, deps.account, amoLeadId);
  for (const s of seqs) {
    if (s.trigger.type === 'lead_captured' || !stageMatches(s.trigger.stage, pipelineId, statusId, map)) continue;
    const leadId = deal?.leadId ?? null;
    const vars = (leadId ? await leadVars(tx, deps, leadId) : undefined) ?? emptyVars();
    // deal_idle: enrolled on entry, first step due `after` later; leaving the stage before then exits it.
    const startMs = s.trigger.type === 'deal_idle' ? at.getTime() + s.trigger.afterMs : Math.max(at.getTime(), now.getTime());
    await enrol(tx, deps, s, { leadId, amoLeadId, vars, stage: { pipeline_id: pipelineId, status_id: statusId }, eventId: e.id, startMs });
  }
}

async function enrol(
  tx: Tx,
  deps: EnrolDeps,
  seq: Sequence,
  x: { leadId: string | null; amoLeadId: number | null; vars: EnrolmentVars; stage: { pipeline_id: number | null; status_id: number } | null; eventId: number | string; startMs: number },
): Promise<void> {
  const now = new Date(deps.now());
  const person = personKey(x.vars, x.leadId, x.amoLeadId);
  const dedupeKey = seq.reenrol ? `${seq.key}:${person}:${x.eventId}` : `${seq.key}:${person}`;
  const row = await insertEnrolment(
    tx,
    { account: deps.account, sequenceKey: seq.key, leadId: x.leadId, amoLeadId: x.amoLeadId, personKey: person, dedupeKey, stage: x.stage, vars: x.vars },
    now,
  );
  if (row) await advance(tx, seq, row, 0, x.startMs, now);
}

function emptyVars(): EnrolmentVars {
  return { name: null, email: null, phone: null, form: null, formTitle: null, fields: {}, optIn: { email: false, whatsapp: false } };
}

async function leadVars(tx: Tx, deps: EnrolDeps, leadId: string): Promise<EnrolmentVars | undefined> {
  const lead = await getLead(tx, leadId);
  if (!lead) return undefined;
  const rule = deps.optIn[lead.formKey] ?? deps.optIn['*'] ?? { email: 'always', whatsapp: 'consent' };
  const consent = lead.consent?.given === true;
  const ok = (r: OptInRule) => r === 'always' || (r === 'consent' && consent);
  return {
    name: lead.name,
    email: lead.email,
    phone: lead.phone,
    form: lead.formKey,
    formTitle: deps.formTitles[lead.formKey] ?? lead.formKey,
    fields: { ...lead.extra, ...flatAttribution(lead.attribution) },
    optIn: { email: !!lead.email && ok(rule.email), whatsapp: !!lead.phone && ok(rule.whatsapp) },
  };
}

function flatAttribution(a: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (typeof v === 'string') out[k] = v;
  return out;
}

async function inbound(tx: Tx, deps: EnrolDeps, p: WhatsAppInboundPayload, now: Date): Promise<void> {
  if (!p.phone) return;
  const active = await activeEnrolments(tx, deps.account, { phone: p.phone });
  if (p.stop) {
    await suppress(tx, deps.account, 'whatsapp', p.phone, 'unsubscribed', 'the person asked WhatsApp to stop messages');
    const ids = active.filter((en) => deps.sequences.find((s) => s.key === en.sequenceKey)?.exitOn.has('unsubscribed')).map((x) => x.id);
    await exitEnrolments(tx, ids, 'unsubscribed', 'WhatsApp stop', now);
  } else {
    const ids = active.filter((en) => deps.sequences.find((s) => s.key === en.sequenceKey)?.exitOn.has('replied')).map((x) => x.id);
    await exitEnrolments(tx, ids, 'replied', 'WhatsApp reply', now);
  }
  const text = p.text ? `: «${p.text.slice(0, 1000)}»` : ` (${p.type})`;
  for (const l of await leadsByPhone(tx, deps.account, p.phone)) {
    await queueNote(tx, deps.account, { leadId: l.leadId, amoLeadId: l.amoLeadId, text: `WhatsApp ← reply${text}` }, now);
    break;
  }
}

async function status(tx: Tx, account: string, p: WhatsAppStatusPayload, now: Date): Promise<void> {
  const step = await stepByMessageId(tx, p.message_id);
  if (!step) return;
  const rank: Record<string, number> = { sending: 0, sent: 1, delivered: 2, read: 3 };
  if (p.status === 'failed') {
    const code = p.error_code ?? null;
    const reason = code === 131047 ? 'outside_24h_window' : code === 131026 ? 'undeliverable' : code === 131049 ? 'marketing_cap' : code === 131050 ? 'unsubscribed' : 'failed';
    await updateStep(tx, step.id, { status: code === 131047 || code === 131049 ? 'skipped' : 'failed', reason, error: { code, title: p.error_title ?? null }, doneAt: now }, now);
    if ((code === 131026 || code === 131050) && p.phone) await suppress(tx, account, 'whatsapp', p.phone, code === 131026 ? 'undeliverable' : 'unsubscribed', `WhatsApp error ${code}`);
    return;
  }
  if ((rank[p.status] ?? 0) > (rank[step.status] ?? -1)) await updateStep(tx, step.id, { status: p.status }, now);
}
