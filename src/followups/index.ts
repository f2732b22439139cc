// Follow-up sequences: people enrolled from domain events (lead captured, deal entered or idle in a stage),
// durable step runs over the email and WhatsApp channels and amoCRM tasks, stopped by what happens in amoCRM or
// on WhatsApp. The channels come in as plain objects; this module imports neither src/email nor src/whatsapp.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AmoClient } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import { followupKeys, type Database, type FollowupEnrolmentRow, rowsOf } from '../db/index.js';
import { createConsumer } from '../events/index.js';
import { getLead } from '../intake/index.js';
import { applyEvents, CONSUMED_EVENTS, type EnrolDeps, type FollowupEvent } from './enrol.js';
import { flushNotes, pendingNotes } from './notes.js';
import { renderStep } from './render.js';
import { enrolmentView, followupRoutes, FollowupsError, type EnrolmentView, type StepPreview } from './routes.js';
import { createRunner } from './runner.js';
import { compileSequences, type PipelineMap, type Sequence } from './sequences.js';
import { activeEnrolments, claimSteps, exitEnrolments, getEnrolment, listEnrolments, stepsOf, suppress, type Tx } from './sql.js';
import type { FollowupChannels, FollowupLogger } from './types.js';
import { signUnsubscribe, verifyUnsubscribe } from './unsubscribe.js';
import type { AppModule, ModuleHealth } from '../app-module.js';

export type * from './types.js';
export { templatesUsed } from './sequences.js';
export { type EnrolmentView } from './routes.js';


export interface FollowupsDeps {
  db: Database;
  config: Pick<Config, 'configPath' | 'publicUrl' | 'forms' | 'secretKey'> & { followups: Config['followups'] };
  /** The amoCRM account (today `'default'`). */
  account: string;
  channels: FollowupChannels;
  /** The shared amoCRM client: tasks, notes, manager names. */
  amo?: AmoClient | undefined;
  /** Pipeline/stage keys → amoCRM ids (the provisioning map). */
  /** The provisioned pipelines, read in the given transaction. */
  pipelines: (tx: Tx) => Promise<PipelineMap | undefined>;
  /** false: no event consumer (a process that only sends steps; tests that call `applyEvents`). */
  consume?: boolean;
  logger?: FollowupLogger | undefined;
  now?: () => number;
  random?: () => number;
  options?: {
    pollMs?: number;
    batchSize?: number;
    /** Steps run at once within a round. */
    concurrency?: number;
    /** Rounds in flight at once (default 3): a round waits for its slowest step (a WhatsApp send waiting for its
     * rate slot), so the next claims do not wait behind it. Claims use SKIP LOCKED: rounds never share a step. */
    rounds?: number;
    /** A claim older than this was abandoned before calling out: taken over (default 60 s). */
    claimTimeoutMs?: number;
    /** An attempt in `sending` older than this is marked unknown, never resent (default 5 min). */
    sendingTimeoutMs?: number;
    workerId?: string;
    /** Domain of Message-IDs (default: the From address's). */
    messageIdDomain?: string;
  };
}

export interface Followups {
  routes(ctx: { requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void> }): FastifyPluginAsync;
  start(): void;
  stop(): Promise<void>;
  health(): Promise<{ ok: boolean; sequences: number; due: number; pending_notes: number }>;
  wake(): void;
  /** One round: sweep, claim and run due steps, flush notes. Returns the steps run. */
  tick(): Promise<number>;
  /** Applies pending domain events once (what the consumer does in the background). */
  pollEvents(): Promise<number>;
  /** Applies domain events in `tx` (what the consumer calls). */
  applyEvents(tx: Tx, events: FollowupEvent[]): Promise<void>;
  /** For GET /api/leads/:id. */
  leadFollowups(leadId: string): Promise<EnrolmentView[]>;
  /** Messages sent (or failed) in a time range, for the dashboard's overview. */
  sendStats(range: { fromMs: number; toMs: number }): Promise<{ sent: number; failed: number }>;
  stopEnrolment(id: string): Promise<EnrolmentView | undefined>;
  preview(leadId: string, sequence: string, step: number): Promise<StepPreview>;
  sequences: Sequence[];
}

async function enrolmentViews(db: Database, rows: FollowupEnrolmentRow[]): Promise<EnrolmentView[]> {
  const steps = await stepsOf(db, rows.map((r) => r.id));
  return rows.map((r) => enrolmentView(r, steps));
}

/** Enrolments of an account with their steps, newest first (the CLI reads them with the server stopped). */
export async function listEnrolmentViews(db: Database, account: string, f: Parameters<typeof listEnrolments>[2]): Promise<EnrolmentView[]> {
  return enrolmentViews(db, await listEnrolments(db, account, f));
}

export function createFollowups(deps: FollowupsDeps): Followups {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const o = deps.options ?? {};
  const s = deps.config.followups.settings;
  const sequences = compileSequences(deps.config.followups.sequences, deps.config.configPath, { timezone: s.timezone, quietHours: s.quiet_hours });
  const byKey = new Map(sequences.map((q) => [q.key, q]));
  const workerId = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const from = deps.config.followups.channels.mailFrom;
  const messageIdDomain = o.messageIdDomain ?? (/@([A-Za-z0-9.-]+)/.exec(from)?.[1] ?? 'leadbridge.local');
  let signingKey: string | undefined;
  const key = async (): Promise<string> => (signingKey ??= deps.config.secretKey ?? (await loadKey(db)));

  const enrolDeps: EnrolDeps = {
    account: deps.account,
    sequences,
    optIn: s.opt_in,
    formTitles: Object.fromEntries(Object.entries(deps.config.forms).map(([k, f]) => [k, f.title])),
    pipelines: deps.pipelines,
    now,
  };
  const unsubscribeUrl = (en: FollowupEnrolmentRow) => `${deps.config.publicUrl}/unsubscribe/${signUnsubscribe(signingKey ?? '', en.id)}`;
  const managers = new Map<number, Promise<string | null>>();
  const runner = createRunner({
    db,
    sequences: byKey,
    channels: deps.channels,
    amo: deps.amo,
    workerId,
    dailyCap: s.daily_cap,
    maxAttempts: s.max_attempts,
    messageIdDomain,
    unsubscribeUrl,
    ...(deps.amo
      ? {
          managerName: (id: number) => {
            let p = managers.get(id);
            if (!p) {
              p = deps.amo!.users.get(id).then((u) => u?.name ?? null, () => null);
              managers.set(id, p);
              setTimeout(() => managers.delete(id), 600_000).unref();
            }
            return p;
          },
        }
      : {}),
    now,
    ...(deps.random ? { random: deps.random } : {}),
    logger: deps.logger,
  });

  const batchSize = o.batchSize ?? 50;
  const concurrency = o.concurrency ?? 8;
  const claimTimeoutMs = o.claimTimeoutMs ?? 60_000;
  const sendingTimeoutMs = o.sendingTimeoutMs ?? 300_000;
  let lastSweep = 0;

  async function tick(): Promise<number> {
    await key();
    if (now() - lastSweep > 5_000) {
      lastSweep = now();
      await runner.sweep(sendingTimeoutMs);
    }
    const t = now();
    const steps = await claimSteps(db, workerId, batchSize, new Date(t), new Date(t - claimTimeoutMs));
    let i = 0;
    const lane = async () => {
      while (i < steps.length) {
        const st = steps[i++];
        if (!st) break;
        try {
          await runner.runStep(st);
        } catch (err) {
          deps.logger?.error({ err, stepId: st.id }, 'follow-up step failed to run; it is retried after the claim timeout');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, steps.length) }, lane));
    if (deps.amo) {
      try {
        await flushNotes(db, deps.account, deps.amo, now);
      } catch (err) {
        deps.logger?.warn({ err }, 'follow-up notes not written; retried');
      }
    }
    return steps.length;
  }

  const consumer =
    deps.consume === false
      ? undefined
      : createConsumer({
          db,
          name: 'followups',
          types: CONSUMED_EVENTS,
          pollMs: o.pollMs ?? 500,
          ...(deps.logger ? { logger: deps.logger } : {}),
          handle: (tx, events) => applyEvents(tx, enrolDeps, events),
        });

  let running = false;
  let loop: Promise<unknown> | undefined;
  const sleepers = new Set<() => void>();
  const wakeUp = () => {
    for (const w of [...sleepers]) w();
  };
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const done = () => {
        clearTimeout(t);
        sleepers.delete(done);
        r();
      };
      const t = setTimeout(done, ms);
      sleepers.add(done);
    });

  const view = (rows: FollowupEnrolmentRow[]) => enrolmentViews(db, rows);

  async function stopEnrolment(id: string): Promise<EnrolmentView | undefined> {
    await db.transaction((tx) => exitEnrolments(tx, [id], 'stopped', 'stopped by an operator', new Date(now())));
    const row = await getEnrolment(db, id);
    return row ? (await view([row]))[0] : undefined;
  }

  async function preview(leadId: string, sequence: string, step: number): Promise<StepPreview> {
    const seq = byKey.get(sequence);
    if (!seq) throw new FollowupsError('SEQUENCE_NOT_FOUND', 404, `no sequence ${sequence}`);
    const def = seq.steps[step];
    if (!def) throw new FollowupsError('STEP_NOT_FOUND', 404, `sequence ${sequence} has ${seq.steps.length} steps (0-based)`);
    if (def.kind === 'wait' || def.kind === 'wait_until') throw new FollowupsError('STEP_NOT_A_MESSAGE', 422, 'a wait step renders nothing');
    const lead = await getLead(db, leadId);
    if (!lead) throw new FollowupsError('LEAD_NOT_FOUND', 404, 'no lead with this id');
    await key();
    const fake = { id: '00000000-0000-0000-0000-000000000000', vars: { email: lead.email } } as FollowupEnrolmentRow;
    const r = renderStep(def, {
      vars: { name: lead.name, email: lead.email, phone: lead.phone, form: lead.formKey, formTitle: deps.config.forms[lead.formKey]?.title ?? lead.formKey, fields: lead.extra, optIn: { email: true, whatsapp: true } },
      leadId,
      deal: { id: lead.amoLeadId, pipelineId: null, statusId: null },
      manager: { id: lead.responsibleUserId, name: null },
      unsubscribeUrl: unsubscribeUrl(fake),
      sequence: seq,
    });
    if (r.kind === 'email') return { sequence, step, channel: 'email', to: lead.email, subject: r.subject, text: r.text, ...(r.html !== undefined ? { html: r.html } : {}) };
    if (r.kind === 'whatsapp') return { sequence, step, channel: 'whatsapp', to: lead.phone, ...(r.template ? { template: r.template } : {}), ...(r.text !== undefined ? { text: r.text } : {}) };
    return { sequence, step, channel: 'task', to: null, text: r.text };
  }

  async function unsubscribe(token: string, apply: boolean): Promise<{ address: string } | null> {
    const id = verifyUnsubscribe(await key(), token);
    const en = id ? await getEnrolment(db, id) : undefined;
    const address = en?.vars.email;
    if (!address) return null;
    if (apply) {
      await db.transaction(async (tx) => {
        const at = new Date(now());
        await suppress(tx, deps.account, 'email', address, 'unsubscribed', 'unsubscribe link');
        const active = await activeEnrolments(tx, deps.account, { email: address });
        const ids = active.filter((en) => byKey.get(en.sequenceKey)?.exitOn.has('unsubscribed')).map((x) => x.id);
        await exitEnrolments(tx, ids, 'unsubscribed', 'email unsubscribe link', at);
      });
    }
    return { address };
  }

  return {
    sequences,
    routes: (ctx) =>
      followupRoutes({
        requireAdmin: ctx.requireAdmin,
        list: async (f) => view(await listEnrolments(db, deps.account, f)),
        stop: stopEnrolment,
        preview,
        unsubscribe,
      }),
    start() {
      if (running) return;
      running = true;
      consumer?.start();
      const round = async () => {
        while (running) {
          let n = 0;
          try {
            n = await tick();
          } catch (err) {
            deps.logger?.error({ err }, 'follow-up round failed');
          }
          if (running && n < batchSize) await sleep(o.pollMs ?? 500);
        }
      };
      loop = Promise.all(Array.from({ length: Math.max(1, o.rounds ?? 3) }, round));
    },
    async stop() {
      running = false;
      wakeUp();
      await consumer?.stop();
      await loop;
    },
    async health() {
      const res = await db.execute(
        sql`select count(*)::int as n from followup_steps where status = 'scheduled' and due_at <= ${new Date(now())}`,
      );
      const due = Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
      return { ok: true, sequences: sequences.length, due, pending_notes: await pendingNotes(db, deps.account) };
    },
    wake() {
      consumer?.wake();
      wakeUp();
    },
    tick,
    pollEvents: async () => {
      let total = 0;
      for (let n = (await consumer?.pollOnce()) ?? 0; n > 0; n = (await consumer?.pollOnce()) ?? 0) total += n;
      return total;
    },
    applyEvents: (tx, events) => applyEvents(tx, enrolDeps, events),
    async sendStats(range) {
      const res = await db.execute(sql`
        select count(*) filter (where s.status in ('sent', 'delivered', 'read', 'unknown'))::int as sent,
               count(*) filter (where s.status = 'failed')::int as failed
        from followup_steps s join followup_enrolments e on e.id = s.enrolment_id
        where e.account = ${deps.account} and s.kind in ('email', 'whatsapp')
          and coalesce(s.sending_at, s.done_at) >= ${new Date(range.fromMs)} and coalesce(s.sending_at, s.done_at) < ${new Date(range.toMs)}`);
      const row = rowsOf<{ sent: number; failed: number }>(res)[0];
      return { sent: Number(row?.sent ?? 0), failed: Number(row?.failed ?? 0) };
    },
    leadFollowups: async (leadId) => view(await listEnrolments(db, deps.account, { leadId, limit: 50 })),
    stopEnrolment,
    preview,
  };
}

async function loadKey(db: Database): Promise<string> {
  await db.insert(followupKeys).values({ name: 'unsubscribe', value: randomBytes(32).toString('base64url') }).onConflictDoNothing();
  const [row] = await db.select().from(followupKeys).where(eq(followupKeys.name, 'unsubscribe'));
  return row?.value ?? '';
}

/** Follow-ups as a module of the server: routes, the `followups` check (with its channels' health), the workers. */
export function followupsAppModule(f: Followups, channels: Record<string, () => Promise<ModuleHealth>> = {}): AppModule {
  return {
    name: 'follow-ups',
    routes: (ctx) => f.routes(ctx),
    health: {
      followups: async () => {
        const out: ModuleHealth = { ...(await f.health()) };
        for (const [name, check] of Object.entries(channels)) out[name] = await check();
        return out;
      },
    },
    start: async () => f.start(),
  };
}
