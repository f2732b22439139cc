// Append-only journal for received webhooks: the ack waits for the delivery to be on disk (appended to a local
// file and fdatasync'ed, many deliveries per sync), never for the database. A background loop moves journaled
// deliveries into webhook_deliveries through the inbox writer, then advances a checkpoint; at start-up whatever
// is past the checkpoint is stored again. Each entry carries a unique key (webhook_deliveries.journal_key, a unique
// index), so an entry stored just before a crash, whose checkpoint was not written, is skipped on replay: every
// acked delivery reaches the database exactly once. Once everything is stored, a journal grown past `maxBytes` is
// emptied (the keys are random, so emptying cannot make a later key collide with an earlier one).
//
// One journal per process and data directory (PGlite's lock already guarantees that for the embedded database).
// On PostgreSQL main.ts stores directly (no journal) unless asked: a journal on one instance's disk is only stored
// when that instance runs again (docs/webhooks.md).
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, fdatasync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, write, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NewDelivery } from './inbox.js';
import type { InboxWriter } from './inbox-writer.js';
import type { WebhookLogger } from './types.js';

export interface WebhookJournal {
  /** Resolves once the delivery is durably in the journal (it reaches the database later). */
  append(d: NewDelivery): Promise<void>;
  /** Journaled deliveries not yet stored in the database. */
  pending(): number;
  /** Waits until every journaled delivery is in the database (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface JournalDeps {
  dir: string;
  writer: InboxWriter;
  /** Called with the delivery id once a journaled delivery is in the database (wakes the processor). */
  onStored?: (deliveryId: number) => void;
  logger?: WebhookLogger;
  /** Empty the journal once all of it is stored and it is larger than this (default 8 MiB). */
  maxBytes?: number;
  /** Wait before retrying a failed store (default 1 s). */
  retryMs?: number;
  /**
   * Deliveries per insert (default 20). On PGlite every insert runs on this thread and holds it: small inserts, with
   * the event loop let through between them, keep acks from waiting behind the store.
   */
  storeBatch?: number;
}

/** One line of the journal file. */
interface Line {
  /** journal_key */
  k: string;
  /** received at (epoch ms) */
  t: number;
  d: Omit<NewDelivery, 'journalKey' | 'receivedAt'>;
}

const rowOf = (l: Line): NewDelivery => ({ ...l.d, journalKey: l.k, receivedAt: new Date(l.t) });

interface Entry {
  row: NewDelivery;
  /** Byte offset just past this record. */
  end: number;
}

const FILE = 'webhook-journal.ndjson';
const CHECKPOINT = 'webhook-journal.offset';
const REJECTED = 'webhook-journal.rejected.ndjson';

/** Records past the checkpoint, and the byte length of the file's complete lines (a torn last line is dropped). */
function replay(path: string, from: number): { entries: Entry[]; validBytes: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return { entries: [], validBytes: 0 };
  }
  const validBytes = buf.lastIndexOf(0x0a) + 1;
  const entries: Entry[] = [];
  let start = from > validBytes ? 0 : from;
  while (start < validBytes) {
    const nl = buf.indexOf(0x0a, start);
    const line = buf.subarray(start, nl).toString('utf8');
    start = nl + 1;
    try {
      const l = JSON.parse(line) as Line;
      if (typeof l.k === 'string' && typeof l.t === 'number' && l.d && typeof l.d.body === 'string') entries.push({ row: rowOf(l), end: start });
    } catch {
      // A line that does not parse cannot be a delivery we acked (its sync would have covered a whole line).
    }
  }
  return { entries, validBytes };
}

export function openWebhookJournal(deps: JournalDeps): WebhookJournal {
  mkdirSync(deps.dir, { recursive: true });
  const path = join(deps.dir, FILE);
  const checkpointPath = join(deps.dir, CHECKPOINT);
  const maxBytes = deps.maxBytes ?? 8 * 1024 * 1024;
  const retryMs = deps.retryMs ?? 1000;
  const storeBatch = Math.max(1, deps.storeBatch ?? 20);
  // While deliveries arrive, storing takes at most a fifth of the time (the journal absorbs the burst; on PGlite
  // each insert holds the thread the acks need). Full speed once no delivery came for 250 ms.
  let lastAppendAt = 0;
  const STORE_SHARE = 0.2;
  let checkpoint = 0;
  try {
    checkpoint = Number(readFileSync(checkpointPath, 'utf8')) || 0;
  } catch {
    checkpoint = 0;
  }
  const { entries: replayed, validBytes } = replay(path, checkpoint);
  const fd = openSync(path, 'a+');
  ftruncateSync(fd, validBytes);
  let size = validBytes;
  let stored = Math.min(checkpoint, validBytes);
  if (replayed.length > 0) deps.logger?.warn({ deliveries: replayed.length }, 'webhook journal: storing deliveries journaled before a restart');

  let waiting: { line: Buffer; row: NewDelivery; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let toStore: Entry[] = [...replayed];
  let writing = false;
  let storing = false;
  let closed = false;
  const idle: (() => void)[] = [];

  const writeSome = (buf: Buffer, from: number): Promise<number> =>
    new Promise((resolve, reject) => write(fd, buf, from, buf.length - from, null, (err, n) => (err ? reject(err) : resolve(n))));
  /** The whole buffer (a write may take only part of it). */
  const writeAll = async (buf: Buffer): Promise<void> => {
    for (let off = 0; off < buf.length; ) off += await writeSome(buf, off);
  };
  /** Atomically (a crash leaves the old or the new checkpoint, never a torn one). */
  const saveCheckpoint = (offset: number): void => {
    writeFileSync(`${checkpointPath}.tmp`, String(offset));
    renameSync(`${checkpointPath}.tmp`, checkpointPath);
  };
  const sync = (): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

  /** Appends everything waiting as one write + one fdatasync, until nothing waits (group commit). */
  async function pumpWrites(): Promise<void> {
    if (writing) return;
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await writeAll(Buffer.concat(batch.map((w) => w.line)));
        await sync();
        for (const w of batch) {
          size += w.line.length;
          toStore.push({ row: w.row, end: size });
          w.resolve();
        }
      } catch (err) {
        // Not acked (the route answers 5xx, amoCRM retries). Cut a partly written batch off, so the next batch
        // starts on a line of its own and is not glued to a torn line.
        deps.logger?.error({ err }, 'webhook journal write failed');
        try {
          ftruncateSync(fd, size);
        } catch {
          // The next replay drops a torn line anyway; only a batch glued to it would be lost, and this is rare.
        }
        for (const w of batch) w.reject(err);
      }
    }
    writing = false;
    void pumpStores();
  }

  let failures = 0;
  /**
   * After repeated failures, one at a time: a delivery the database refuses on its own (not the database being
   * down: the others go in) is set aside in webhook-journal.rejected.ndjson, so it cannot block the ones behind it.
   */
  async function isolate(batch: Entry[]): Promise<void> {
    const results = await Promise.allSettled(batch.map((e) => deps.writer.write(e.row)));
    if (results.every((r) => r.status === 'rejected')) {
      await new Promise((r) => setTimeout(r, retryMs));
      return;
    }
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (r.value > 0) deps.onStored?.(r.value);
      }
      else {
        appendFileSync(join(deps.dir, REJECTED), `${JSON.stringify(batch[i]?.row)}\n`);
        deps.logger?.error({ err: r.reason }, 'webhook journal: a delivery the database refuses was set aside');
      }
    });
    toStore = toStore.slice(batch.length);
    stored = batch.at(-1)?.end ?? stored;
    saveCheckpoint(stored);
    failures = 0;
  }

  /** Moves journaled deliveries into the database, in order, advancing the checkpoint after each batch. */
  async function pumpStores(): Promise<void> {
    if (storing) return;
    storing = true;
    while (toStore.length > 0 && !closed) {
      // Let waiting requests (acks) run before each insert.
      await new Promise<void>((r) => setImmediate(r));
      const batch = toStore.slice(0, storeBatch);
      const started = performance.now();
      try {
        const ids = await Promise.all(batch.map((e) => deps.writer.write(e.row)));
        toStore = toStore.slice(batch.length);
        stored = batch.at(-1)?.end ?? stored;
        saveCheckpoint(stored);
        for (const id of ids) if (id > 0) deps.onStored?.(id);
        failures = 0;
        if (performance.now() - lastAppendAt < 250) {
          const pause = Math.min(1000, (performance.now() - started) * (1 / STORE_SHARE - 1));
          await new Promise((r) => setTimeout(r, pause));
        }
      } catch (err) {
        // The database is down or refusing: the deliveries stay journaled (acked, on disk) and are tried again.
        deps.logger?.warn({ err, deliveries: batch.length }, 'webhook journal: storing failed; retrying');
        if (++failures >= 5) await isolate(batch);
        else await new Promise((r) => setTimeout(r, retryMs));
      }
    }
    if (!closed && toStore.length === 0 && !writing && waiting.length === 0 && stored === size && size > maxBytes) {
      // Checkpoint first: a crash between the two leaves checkpoint 0 on a full file (replayed, all skipped by
      // key) rather than a checkpoint past the end of an emptied file.
      saveCheckpoint(0);
      ftruncateSync(fd, 0);
      size = 0;
      stored = 0;
    }
    storing = false;
    if (toStore.length === 0 && waiting.length === 0 && !writing) for (const f of idle.splice(0)) f();
  }

  function flush(): Promise<void> {
    if (toStore.length === 0 && waiting.length === 0 && !writing && !storing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      idle.push(resolve);
      void pumpStores();
    });
  }

  void pumpStores();
  return {
    append(row) {
      if (closed) return Promise.reject(new Error('webhook journal is closed'));
      lastAppendAt = performance.now();
      const { journalKey: _k, receivedAt: _t, ...d } = row;
      const entry: Line = { k: randomUUID(), t: (row.receivedAt ?? new Date()).getTime(), d };
      const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
      return new Promise<void>((resolve, reject) => {
        waiting.push({ line, row: rowOf(entry), resolve, reject });
        void pumpWrites();
      });
    },
    pending: () => toStore.length + waiting.length,
    flush,
    async close() {
      // What cannot be stored now (the database is gone) stays journaled for the next start.
      await Promise.race([flush(), new Promise((r) => setTimeout(r, 5000).unref())]);
      closed = true;
      // A store still in flight finishes on its own (it touches only the checkpoint, never the file).
      closeSync(fd);
    },
  };
}
