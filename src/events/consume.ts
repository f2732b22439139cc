// Consumers: each has its own cursor (event_cursors), advanced in the same transaction as its effects, so each
// consumer applies each event exactly once with respect to its own tables.
//
// Never skipping a slow writer: ids come from a sequence, so a writer that took id 10 can commit after a writer
// that took id 11. Reading "id > cursor" would then skip 10 for ever. Instead every event carries its writer's
// transaction id (xid8), and a reader takes only events of transactions older than the oldest one still running
// (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`): those can no longer commit, so the set below that bound is
// final, and ordering by (tx_id, id) with a cursor on that pair is safe. The price: a transaction left open
// anywhere in the cluster holds consumers back (never loses an event). Same on PGlite and PostgreSQL.
import { sql } from 'drizzle-orm';
import { rowsOf, type Database, type Transaction } from '../db/index.js';
import type { DomainEvent, EventName } from './types.js';

export interface ConsumerLogger {
  warn(obj: object, msg: string): void;
}

export interface ConsumerOptions<K extends EventName> {
  db: Database;
  /** Unique per consumer (its cursor's key), e.g. 'followups'. */
  name: string;
  types: readonly K[];
  /** Applies a batch inside `tx`; throwing rolls the batch back (the cursor does not move) and it is retried. */
  handle(tx: Transaction, events: DomainEvent<K>[]): Promise<void>;
  /** Events per transaction (default 200). */
  batchSize?: number;
  /** Idle poll interval in ms (default 1000); `wake()` polls at once. */
  pollMs?: number;
  /** Delay after a failed batch, in ms (default 5000). */
  retryMs?: number;
  logger?: ConsumerLogger;
}

export interface Consumer {
  /** Reads and applies one batch; returns how many events it applied. */
  pollOnce(): Promise<number>;
  /** Polls until `stop()`: at once while batches are full, else every `pollMs` or on `wake()`. */
  start(): void;
  stop(): Promise<void>;
  /** A hint that new events may exist (in-process writers call it after commit). */
  wake(): void;
}

interface RawEvent {
  id: number | string;
  tx_id: string;
  account: string;
  type: string;
  payload: unknown;
  lead_id: string | null;
  amo_lead_id: number | string | null;
  occurred_at: Date | string;
  created_at: Date | string;
}

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

export function createConsumer<K extends EventName>(opts: ConsumerOptions<K>): Consumer {
  if (opts.types.length === 0) throw new Error(`consumer ${opts.name}: no event types`);
  const batchSize = opts.batchSize ?? 200;
  const pollMs = opts.pollMs ?? 1000;
  const retryMs = opts.retryMs ?? 5000;
  const types = sql.join(
    opts.types.map((t) => sql`${t}`),
    sql`, `,
  );

  const pollOnce = () =>
    opts.db.transaction(async (tx) => {
      await tx.execute(sql`insert into event_cursors (consumer) values (${opts.name}) on conflict (consumer) do nothing`);
      // The row lock makes two processes running the same consumer take turns.
      const [cursor] = rowsOf<{ last_tx: string; last_id: number | string }>(
        await tx.execute(sql`select last_tx::text as last_tx, last_id from event_cursors where consumer = ${opts.name} for update`),
      );
      if (!cursor) throw new Error(`consumer ${opts.name}: cursor row missing`);
      const raw = rowsOf<RawEvent>(
        await tx.execute(sql`
          select id, tx_id::text as tx_id, account, type, payload, lead_id, amo_lead_id, occurred_at, created_at
          from domain_events
          where (tx_id, id) > (${cursor.last_tx}::xid8, ${Number(cursor.last_id)}::bigint)
            and tx_id < pg_snapshot_xmin(pg_current_snapshot())
            and type in (${types})
          order by tx_id, id
          limit ${batchSize}`),
      );
      const last = raw.at(-1);
      if (!last) return 0;
      const events = raw.map(
        (r): DomainEvent<K> => ({
          id: Number(r.id),
          txId: r.tx_id,
          account: r.account,
          type: r.type as K,
          payload: r.payload as DomainEvent<K>['payload'],
          leadId: r.lead_id,
          amoLeadId: r.amo_lead_id === null ? null : Number(r.amo_lead_id),
          occurredAt: asDate(r.occurred_at),
          createdAt: asDate(r.created_at),
        }),
      );
      await opts.handle(tx, events);
      await tx.execute(
        sql`update event_cursors set last_tx = ${last.tx_id}::xid8, last_id = ${Number(last.id)}, updated_at = now() where consumer = ${opts.name}`,
      );
      return events.length;
    });

  let running: Promise<void> | undefined;
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopping) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const loop = async () => {
    while (!stopping) {
      woken = false;
      let delay = pollMs;
      try {
        if ((await pollOnce()) >= batchSize) delay = 0;
      } catch (err) {
        opts.logger?.warn({ err, consumer: opts.name }, 'event consumer batch failed; retrying');
        delay = retryMs;
      }
      if (delay > 0 && !stopping) await sleep(delay);
    }
  };

  return {
    pollOnce,
    start() {
      if (running) return;
      stopping = false;
      running = loop().finally(() => (running = undefined));
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await running;
    },
    wake() {
      woken = true;
      wakeUp?.();
    },
  };
}
