// createDelivery(): the outbox worker. `concurrency` lanes each claim a batch (≤ batch_size, SKIP LOCKED) and
// deliver it, so several batches are in flight while amoCRM answers (latency does not cap throughput; the shared
// rate limiter does). A notes lane sends queued notes in big batches. Woken by `wake()` (intake's onLeadCaptured)
// and by a poll interval; stale claims of crashed workers are swept back with `needs_lookup`.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AmoClient } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { ResolvedMap } from '../provision/index.js';
import type { CountryCode } from 'libphonenumber-js';
import { normalisePhone } from '../intake/index.js';
import { deliverBatch, type BatchOutcome, type RouteLeads } from './batch.js';
import { createConsumer } from '../events/index.js';
import { createContactSync, type ContactSync } from './contact-sync.js';
import type { Marker } from './build.js';
import { classifyError, DEFAULT_BACKOFF, type BackoffPolicy } from './classify.js';
import type { ContactLookup } from './contacts.js';
import { detectMarker } from './lookup.js';
import { deliveryMetrics, leadStatusGauge, type DeliveryMetrics } from './metrics.js';
import { flushNotes, NOTES_PER_CALL } from './notes.js';
import { dueNotes } from './notes-sql.js';
import { claimLeads, claimOwners, indexContacts, resumeHeld, statusCounts, sweepStaleClaims, unindexContacts } from './sql.js';

/** Longest the notes wait while a backlog of deals goes first. */
const NOTES_YIELD_MAX_MS = 30_000;
/** Longest pause of a lane between failing passes (amoCRM unreachable, the database down). */
const LANE_BACKOFF_CAP_MS = 60_000;

export interface DeliveryOptions {
  /** How contacts are deduplicated (delivery.contact_lookup; default `search`). */
  contactLookup?: ContactLookup;
  /** Batches in flight per process (default 6). */
  concurrency?: number;
  /** Poll for due leads this often when nothing wakes the worker (default 1000 ms). */
  pollIntervalMs?: number;
  /** A claim older than this is considered dead and swept back with needs_lookup (default 120 s). */
  claimTimeoutMs?: number;
  /** Timeout of each amoCRM call (default 15 s). */
  requestTimeoutMs?: number;
  /** How long stop() lets in-flight batches finish before aborting their amoCRM calls (default 5 s). */
  stopGraceMs?: number;
  /** Notes per POST /leads/notes (default 250) and the longest a note waits for a fuller batch (default 2000 ms). */
  notesBatchSize?: number;
  notesMaxDelayMs?: number;
  backoff?: BackoffPolicy;
  /** Longest a hold (reconnect, circuit open, payment required) defers a lead before it is tried again (default 5 min). */
  maxHoldMs?: number;
  /**
   * The database is this process's alone (embedded PGlite: its lock file proves any earlier process dead), so every
   * claim not ours is swept back at once instead of after the claim timeout.
   */
  exclusiveDb?: boolean;
  /** `search` mode: a full re-import of the contact index this often (default 24 h; catch-ups run per batch). */
  contactReimportMs?: number;
  /** Skip detection (tests): the LEADBRIDGE_ID field (optionally by id) or the lb-<uuid> tag. */
  marker?: Marker;
  workerId?: string;
}

export interface DeliveryDeps {
  db: Database;
  amo: AmoClient;
  config: Pick<Config, 'forms' | 'routing' | 'delivery'>;
  /** Config keys → amoCRM ids (from setup); a function is called before each batch. */
  resolved?: ResolvedMap | (() => Promise<ResolvedMap | undefined>);
  logger?: Logger;
  metrics?: Registry;
  /** Routing's decision per lead (src/routing, wired by src/runtime); absent = amoCRM assigns the token's user. */
  route?: RouteLeads;
  now?: () => number;
  random?: () => number;
  options?: DeliveryOptions;
  /** The amoCRM account (one per install today). */
  account?: string;
  /** Country for phones read from amoCRM contacts into the index (config.defaultCountry; default RU). */
  phoneCountry?: CountryCode;
}

export interface DeliveryHealth {
  ok: boolean;
  /** Why it is not ok (failed/dead leads waiting for a person, a pause, failing passes); absent when ok. */
  reason?: string;
  /** Leads that need a person (fix the cause, replay): `failed` (amoCRM refused them) and `dead` (out of attempts). */
  failed: number;
  dead: number;
  /** Since when claim passes fail (amoCRM unreachable, the database), and the last reason. */
  failing?: { since: string; reason: string; passes: number };
  paused: string | null;
  held_until: string | null;
  lookup: ContactLookup;
  marker: Marker['kind'] | 'unknown';
  counts: Record<string, number>;
}

export interface Delivery {
  start(): void;
  /** Stops claiming, lets in-flight batches finish. */
  stop(): Promise<void>;
  /** A lead was captured: claim now instead of waiting for the poll. */
  wake(leadId?: string): void;
  /** Hold every delivery (e.g. the connect module while `reconnect_required`); `null` resumes. */
  deliveryPaused(reason: string | null): void;
  pausedReason(): string | null;
  /** One claim+deliver pass and one notes flush (CLI, tests). */
  runOnce(): Promise<BatchOutcome & { claimed: number }>;
  health(): Promise<DeliveryHealth>;
  /** Leads not yet in amoCRM: pending, held (waiting out a hold) and being delivered — /health's queue depth. */
  waiting(): Promise<{ pending: number; held: number; delivering: number; total: number }>;
  readonly workerId: string;
  readonly lookup: ContactLookup;
}

export function createDelivery(deps: DeliveryDeps): Delivery {
  const o = deps.options ?? {};
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const log = deps.logger?.child({ module: 'delivery' });
  const metrics: DeliveryMetrics | undefined = deps.metrics ? deliveryMetrics(deps.metrics) : undefined;
  if (deps.metrics) leadStatusGauge(deps.metrics, () => statusCounts(deps.db));
  const workerId = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const lookup = o.contactLookup ?? 'search';
  const concurrency = Math.max(1, o.concurrency ?? 6);
  const pollMs = o.pollIntervalMs ?? 1000;
  const claimTimeoutMs = o.claimTimeoutMs ?? 120_000;
  const requestTimeoutMs = o.requestTimeoutMs ?? 15_000;
  const stopGraceMs = o.stopGraceMs ?? 5_000;
  const notesBatch = Math.min(NOTES_PER_CALL, o.notesBatchSize ?? NOTES_PER_CALL);
  const notesDelayMs = o.notesMaxDelayMs ?? 2000;
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const maxHoldMs = o.maxHoldMs ?? 5 * 60_000;
  const batchSize = Math.min(50, deps.config.delivery.batchSize);
  const reimportMs = o.contactReimportMs ?? 24 * 3600_000;
  const country = deps.phoneCountry ?? 'RU';
  const account = deps.account ?? 'default';
  const contactSync: ContactSync | undefined =
    lookup === 'search'
      ? createContactSync({ db: deps.db, amo: deps.amo, account, normalisePhone: (p) => normalisePhone(p, country), now, log })
      : undefined;
  let lastImport = 0;
  let importing = false;
  // Contact webhooks (through domain_events): deleted contacts leave the index, changed ones with phones/emails join.
  const contactEvents = createConsumer({
    db: deps.db,
    name: 'delivery.contact_index',
    types: ['contact.changed', 'contact.deleted'],
    pollMs: pollMs,
    ...(log ? { logger: log } : {}),
    handle: async (tx, events) => {
      const at = new Date(now());
      // Each event updates the index of its own account (one account per install today).
      for (const acc of new Set(events.map((e) => e.account))) {
        const mine = events.filter((e) => e.account === acc);
        const gone = mine.filter((e) => e.type === 'contact.deleted').map((e) => e.payload.amo_contact_id);
        const rows = mine.flatMap((e) => {
          if (e.type !== 'contact.changed' || e.payload.kind !== 'contact') return [];
          const p = e.payload as { amo_contact_id: number; phones?: string[]; emails?: string[] };
          const keys = [
            ...(p.phones ?? []).flatMap((x) => {
              const e164 = normalisePhone(x, country);
              return e164 ? [`phone:${e164}`] : [];
            }),
            ...(p.emails ?? []).filter((x) => x.includes('@')).map((x) => `email:${x.trim().toLowerCase()}`),
          ];
          return keys.map((key) => ({ key, amoContactId: p.amo_contact_id, source: 'webhook' }));
        });
        await unindexContacts(tx, acc, gone);
        await indexContacts(tx, acc, rows, at);
      }
    },
  });

  let running = false;
  let lanes: Promise<void>[] = [];
  let paused: string | null = null;
  let holdUntil = 0;
  let lastSweep = 0;
  let notesPending = 0;
  let marker: Marker | undefined = o.marker;
  let waiters: (() => void)[] = [];
  let notesWaiter: (() => void) | undefined;
  /** Set while claim passes fail (amoCRM unreachable, the database down): one log line per change, lanes back off. */
  let failing: { since: number; passes: number; reason: string; message: string } | undefined;
  let notesFailing = false;
  let importFailures = 0;

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(t);
        waiters = waiters.filter((w) => w !== done);
        resolve();
      }
      waiters.push(done);
    });
  const wakeAll = () => {
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };
  const wakeNotes = () => notesWaiter?.();

  async function resolvedMap(): Promise<ResolvedMap | undefined> {
    return typeof deps.resolved === 'function' ? deps.resolved() : deps.resolved;
  }

  let markerAt = 0;
  let detecting: Promise<Marker> | undefined;
  async function ensureMarker(): Promise<Marker> {
    // A detected tag fallback is re-checked every 10 minutes (setup may have created the field since).
    if (marker && (o.marker || marker.kind === 'field' || now() - markerAt < 10 * 60_000)) return marker;
    // Single-flight: the concurrent batch slots share one detection (one amoCRM call, one log line).
    detecting ??= (async () => {
      try {
        markerAt = now();
        const found = await detectMarker(deps.amo, { timeoutMs: requestTimeoutMs });
        if (found.kind !== marker?.kind) {
          log?.info({ marker: found.kind }, found.kind === 'field' ? 'exactly-once marker: LEADBRIDGE_ID field' : 'LEADBRIDGE_ID field missing: marker falls back to lb-<id> tags');
        }
        marker = found;
        return found;
      } finally {
        detecting = undefined;
      }
    })();
    return detecting;
  }

  async function maybeSweep(): Promise<void> {
    if (now() - lastSweep < Math.max(1000, claimTimeoutMs / 4)) return;
    lastSweep = now();
    // Claims of processes known dead go back at once: any other process on an exclusive (PGlite) database, and on
    // this host a worker whose pid no longer runs. The rest wait for the claim timeout.
    const dead = (await claimOwners(deps.db)).filter((w) => w !== workerId && (o.exclusiveDb === true || deadOnThisHost(w)));
    const early = await sweepStaleClaims(deps.db, new Date(now()), new Date(now()), dead);
    if (early.length > 0) log?.warn({ count: early.length }, 'claims of a dead process swept back (they will be looked up before resending)');
    const swept = await sweepStaleClaims(deps.db, new Date(now() - claimTimeoutMs), new Date(now()));
    if (swept.length > 0) log?.warn({ count: swept.length }, 'stale claims swept back (they will be looked up before resending)');
  }

  /** `search` mode: import the account's contacts into the index when it is not complete, and again periodically. */
  async function maybeImport(): Promise<void> {
    if (!contactSync || importing || (lastImport !== 0 && now() - lastImport < reimportMs)) return;
    if (lastImport === 0 && (await contactSync.isComplete())) {
      lastImport = now();
      return;
    }
    importing = true;
    lastImport = now();
    void contactSync
      .importAll({ timeoutMs: requestTimeoutMs })
      .then(() => {
        if (importFailures > 0) log?.info({ failedImports: importFailures }, 'contact index import done after failures');
        importFailures = 0;
      })
      .catch((e: unknown) => {
        // Try again after 5 s, doubling to 10 min; said once until an import succeeds.
        importFailures++;
        lastImport = now() - reimportMs + Math.min(10 * 60_000, 5000 * 2 ** Math.min(7, importFailures - 1));
        if (importFailures === 1) log?.warn({ err: { message: classifyError(e).message } }, 'contact index import failed (searching amoCRM meanwhile; retried with back-off)');
      })
      .finally(() => (importing = false));
  }

  /** Abort controllers of the batches in flight: stop() aborts them after its grace period. */
  const inFlight = new Set<AbortController>();

  async function claimAndDeliver(): Promise<BatchOutcome & { claimed: number }> {
    const m = await ensureMarker();
    const rows = await claimLeads(deps.db, workerId, batchSize, new Date(now()));
    if (rows.length === 0) return { claimed: 0, delivered: 0, failed: 0, held: 0, notes: 0 };
    if (rows.length >= batchSize) lastFullClaimAt = now();
    metrics?.batchSize.observe(rows.length);
    // Abort our own calls before the claim can be swept, so two workers never send the same lead at once.
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), Math.max(1000, claimTimeoutMs - Math.min(10_000, claimTimeoutMs / 5)));
    inFlight.add(ctrl);
    try {
      const outcome = await deliverBatch(
        {
          db: deps.db,
          account,
          amo: deps.amo,
          config: deps.config,
          resolved: await resolvedMap(),
          marker: m,
          mode: lookup,
          contactSync,
          workerId,
          now,
          random,
          backoff,
          maxHoldMs,
          contactReserveMs: claimTimeoutMs,
          metrics,
          requestOpts: { timeoutMs: requestTimeoutMs, signal: ctrl.signal },
          log,
          route: deps.route,
        },
        rows,
      );
      log?.info({ claimed: rows.length, delivered: outcome.delivered, failed: outcome.failed, held: outcome.held }, 'batch done');
      if (outcome.holdUntil !== undefined) {
        holdUntil = Math.max(holdUntil, outcome.holdUntil);
        log?.warn({ reason: outcome.holdReason, until: new Date(holdUntil).toISOString() }, 'deliveries held');
      }
      notesPending += outcome.notes;
      if (notesPending >= notesBatch) wakeNotes();
      return { ...outcome, claimed: rows.length };
    } finally {
      clearTimeout(timer);
      inFlight.delete(ctrl);
    }
  }

  async function lane(i: number): Promise<void> {
    let laneFailures = 0; // this lane's failing passes in a row: its back-off
    while (running) {
      const wait = paused ? pollMs : holdUntil - now();
      if (paused || wait > 0) {
        await idle(Math.min(pollMs, Math.max(1, wait)));
        continue;
      }
      try {
        if (i === 0) {
          await maybeSweep();
          await maybeImport();
        }
        const r = await claimAndDeliver();
        laneFailures = 0;
        if (failing) {
          log?.info({ failedPasses: failing.passes, downMs: now() - failing.since }, 'delivery recovered');
          failing = undefined;
          wakeAll(); // the other lanes may be in a long back-off
        }
        if (r.claimed === 0) await idle(pollMs);
      } catch (e) {
        const c = classifyError(e, now());
        if (c.kind === 'hold') holdUntil = now() + Math.min(maxHoldMs, c.retryAfterMs ?? 60_000);
        // Every lane meets the same outage: ONE line when passes start failing, one when they recover; meanwhile the
        // lanes back off (1 s doubling to 60 s). A captured lead still wakes them at once.
        if (!failing) {
          failing = { since: now(), passes: 0, reason: c.reason, message: c.message.slice(0, 300) };
          log?.error({ err: { message: c.message, reason: c.reason } }, 'delivery failing; backing off (logged again when it recovers)');
        }
        failing.passes++;
        failing.reason = c.reason;
        laneFailures++;
        await idle(Math.min(LANE_BACKOFF_CAP_MS, pollMs * 2 ** Math.min(6, laneFailures - 1)));
      }
    }
  }

  // Notes wait for a full call (notes_batch) unless the oldest has waited notesMaxDelayMs: under load every
  // notes call carries ~250 notes; when idle a note lags its deal by at most about that delay.
  let lastFullClaimAt = 0;
  async function notesLane(): Promise<void> {
    while (running) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(50, notesDelayMs / 4));
        function done() {
          clearTimeout(t);
          notesWaiter = undefined;
          resolve();
        }
        notesWaiter = done;
      });
      if (paused || holdUntil > now()) continue;
      try {
        const due = await dueNotes(deps.db, new Date(now()));
        if (due.count === 0 || (due.count < notesBatch && due.oldestMs < notesDelayMs && running)) continue;
        // A backlog of leads is being delivered (full batches claimed just now): deals first — the notes share the
        // same 7 requests/s and follow within NOTES_YIELD_MAX_MS.
        if (running && now() - lastFullClaimAt < 2000 && due.oldestMs < NOTES_YIELD_MAX_MS) continue;
        notesPending = 0;
        await flushNotes(notesCtx);
        // A backlog of full calls goes out at once; a remainder waits for the next tick.
        while (running && (await dueNotes(deps.db, new Date(now()))).count >= notesBatch) await flushNotes(notesCtx);
        if (notesFailing) log?.info('notes lane recovered');
        notesFailing = false;
      } catch (e) {
        if (!notesFailing) log?.error({ err: { message: classifyError(e).message } }, 'notes lane failing (logged again when it recovers)');
        notesFailing = true;
      }
    }
  }

  const notesCtx = {
    db: deps.db,
    amo: deps.amo,
    workerId,
    now,
    random,
    backoff,
    batchSize: notesBatch,
    claimTimeoutMs,
    requestOpts: () => ({ timeoutMs: requestTimeoutMs }),
    metrics,
  };

  return {
    workerId,
    lookup,
    start() {
      if (running) return;
      running = true;
      // The contact index's import is decided (and started when needed) before the first claim, so the first
      // batches wait for it instead of searching amoCRM per contact meanwhile.
      const importDecided = maybeImport().catch(() => undefined);
      lanes = [...Array.from({ length: concurrency }, (_, i) => importDecided.then(() => lane(i))), notesLane()];
      contactEvents.start();
      log?.info({ workerId, concurrency, lookup, batchSize }, 'delivery worker started');
    },
    async stop() {
      if (!running) return;
      running = false;
      wakeAll();
      wakeNotes();
      // Let in-flight batches finish for a grace period, then abort their amoCRM calls: an aborted call is an
      // unknown outcome, so whoever claims those leads next looks the deal up before sending it again.
      const all = Promise.all(lanes);
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace_over'>((resolve) => (timer = setTimeout(() => resolve('grace_over'), stopGraceMs)));
      if ((await Promise.race([all, graceOver])) === 'grace_over') {
        log?.warn({ workerId, batches: inFlight.size }, 'delivery stop: aborting in-flight amoCRM calls');
        for (const c of inFlight) c.abort();
      }
      clearTimeout(timer);
      await all;
      await contactEvents.stop();
      lanes = [];
      log?.info({ workerId }, 'delivery worker stopped');
    },
    wake() {
      wakeAll();
    },
    deliveryPaused(reason) {
      const was = paused;
      paused = reason;
      if (reason && !was) log?.warn({ reason }, 'deliveries paused');
      if (!reason && was) {
        log?.info({ was }, 'deliveries resumed');
        holdUntil = 0;
        void resumeHeld(deps.db, new Date(now())).then(wakeAll, (e: unknown) => log?.error({ err: { message: classifyError(e).message } }, 'resume failed'));
      }
    },
    pausedReason: () => paused,
    async runOnce() {
      await maybeSweep();
      await maybeImport();
      const r = await claimAndDeliver();
      await flushNotes(notesCtx);
      return r;
    },
    async waiting() {
      const c = await statusCounts(deps.db);
      const pending = c.pending ?? 0;
      const held = c.held ?? 0;
      const delivering = c.delivering ?? 0;
      return { pending, held, delivering, total: pending + held + delivering };
    },
    async health() {
      const counts = await statusCounts(deps.db);
      const failed = counts.failed ?? 0;
      const dead = counts.dead ?? 0;
      const reasons: string[] = [];
      if (failed + dead > 0) {
        reasons.push(
          `${failed} failed and ${dead} dead lead(s) need a person: GET /api/leads/<id> names the cause (last_error), fix it, then POST /api/admin/leads/<id>/replay (or the dashboard's Delivery page)`,
        );
      }
      if (paused) reasons.push(`deliveries paused (${paused})`);
      else if (holdUntil > now()) reasons.push(`deliveries held until ${new Date(holdUntil).toISOString()}`);
      if (failing) reasons.push(`delivery passes failing since ${new Date(failing.since).toISOString()} (${failing.reason})`);
      return {
        ok: reasons.length === 0,
        ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
        failed,
        dead,
        ...(failing ? { failing: { since: new Date(failing.since).toISOString(), reason: failing.reason, passes: failing.passes } } : {}),
        paused,
        held_until: holdUntil > now() ? new Date(holdUntil).toISOString() : null,
        lookup,
        marker: marker?.kind ?? 'unknown',
        counts,
      };
    },
  };
}

/** A worker id `host:pid:…` of this host whose process is gone (signal 0 → ESRCH). A reused pid counts as alive. */
export function deadOnThisHost(workerId: string): boolean {
  const [host, pidText] = workerId.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
