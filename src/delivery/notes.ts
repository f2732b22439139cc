// The notes outbox: one POST /api/v4/leads/notes for up to 250 delivered deals (a 50-lead batch costs a fraction of
// a call). At-least-once: a crash between amoCRM's answer and our commit can repeat a note, never lose one.
import { AmoValidationError, type AmoClient, type NoteInput, type RequestOptions } from '../amocrm/index.js';
import type { Database } from '../db/index.js';
import { backoffMs, classifyError, type BackoffPolicy } from './classify.js';
import type { DeliveryMetrics } from './metrics.js';
import { claimNotes, completeNotes, failNotes, type NoteRow } from './notes-sql.js';

export const NOTES_PER_CALL = 250;
const MAX_NOTE_ATTEMPTS = 12;

export interface NotesContext {
  db: Database;
  amo: AmoClient;
  workerId: string;
  now: () => number;
  random: () => number;
  backoff: BackoffPolicy;
  batchSize: number;
  claimTimeoutMs: number;
  requestOpts: () => RequestOptions;
  metrics?: DeliveryMetrics | undefined;
}

interface NoteAnswer {
  _embedded?: { notes?: { id: number; request_id?: string | number }[] };
}

/** Sends one batch of due notes. Returns how many notes were claimed (0 = nothing due). */
export async function flushNotes(ctx: NotesContext): Promise<number> {
  const now = ctx.now();
  let rows: NoteRow[] = await claimNotes(ctx.db, ctx.workerId, ctx.batchSize, new Date(now), new Date(now - ctx.claimTimeoutMs));
  const claimed = rows.length;
  while (rows.length > 0) {
    const body: NoteInput[] = rows.map((r) => ({ entity_id: r.amoLeadId, note_type: 'common', params: { text: r.text }, request_id: r.leadId }));
    try {
      ctx.metrics?.requests.inc({ call: 'notes' });
      const answer = await ctx.amo.request<NoteAnswer>('POST', '/api/v4/leads/notes', { body, opts: ctx.requestOpts() });
      const ids = new Map((answer?._embedded?.notes ?? []).map((n) => [String(n.request_id ?? ''), n.id]));
      await completeNotes(ctx.db, rows.map((r) => ({ leadId: r.leadId, noteId: ids.get(r.leadId) ?? null })), new Date(ctx.now()));
      rows = [];
    } catch (e) {
      const c = classifyError(e, ctx.now());
      const at = new Date(ctx.now());
      if (e instanceof AmoValidationError) {
        const bad = new Set(e.validationErrors.map((v) => v.requestId));
        const dropped = rows.filter((r) => bad.has(r.leadId));
        if (dropped.length > 0) {
          await failNotes(ctx.db, dropped.map((r) => ({ leadId: r.leadId, nextAttemptAt: at, drop: true, error: { reason: 'validation', errors: e.validationErrors.find((v) => v.requestId === r.leadId)?.errors.map((x) => ({ code: x.code, path: x.path })) ?? [] } })), at);
          rows = rows.filter((r) => !bad.has(r.leadId));
          continue;
        }
      }
      await failNotes(
        ctx.db,
        rows.map((r) => {
          const drop = c.kind === 'permanent' || r.attempts + 1 >= MAX_NOTE_ATTEMPTS;
          const delay = c.kind === 'hold' ? (c.retryAfterMs ?? 60_000) : backoffMs(r.attempts + 1, ctx.backoff, ctx.random, c.retryAfterMs ?? 0);
          return { leadId: r.leadId, drop, nextAttemptAt: new Date(ctx.now() + delay), error: { kind: c.kind, reason: c.reason, message: c.message.slice(0, 300) } };
        }),
        at,
      );
      rows = [];
    }
  }
  return claimed;
}
