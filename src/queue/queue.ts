// A thin pg-boss 10 wrapper for scheduled/delayed/cron work, on PostgreSQL and PGlite alike: pg-boss talks to
// the database through Db.executeSql (stack.md §2.1), so both drivers share one code path.
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { TaskName, TaskPayloads } from './tasks.js';

export type SendOptions = PgBoss.SendOptions;
export type ScheduleOptions = PgBoss.ScheduleOptions;
export type WorkOptions = PgBoss.WorkOptions;
export type TaskHandler<T extends TaskName> = (jobs: PgBoss.Job<TaskPayloads[T]>[]) => Promise<unknown>;

export interface Queue {
  start(): Promise<void>;
  stop(): Promise<void>;
  send<T extends TaskName>(name: T, payload: TaskPayloads[T], opts?: SendOptions): Promise<string | null>;
  work<T extends TaskName>(name: T, handler: TaskHandler<T>, opts?: WorkOptions): Promise<string>;
  schedule<T extends TaskName>(name: T, cron: string, payload: TaskPayloads[T], opts?: ScheduleOptions): Promise<void>;
  /** Queued + retrying jobs of a task (for /health). */
  depth(name: TaskName): Promise<number>;
}

export interface QueueDeps {
  db: Db;
  logger?: Logger;
  /** pg-boss schema (default `pgboss`). */
  schema?: string;
  /** Queues created by start(), one at a time, before any other use. */
  tasks?: readonly TaskName[];
  /** Worker polling interval (default 2 s; pg-boss minimum 0.5 s). */
  pollingIntervalSeconds?: number;
}

export function createQueue(deps: QueueDeps): Queue {
  const log = deps.logger?.child({ module: 'queue' });
  const boss = new PgBoss({
    db: { executeSql: (text, values) => deps.db.executeSql(text, values) },
    schema: deps.schema ?? 'pgboss',
  });
  boss.on('error', (err) => log?.error({ err }, 'queue error'));
  // pg-boss 10 needs createQueue() before send/work. Each creation adds a partition to pg-boss's job table, so
  // two creations at once (two names, or one racing a /health read of the queue sizes during start-up) can
  // deadlock on PostgreSQL: in this process they run one at a time, and a deadlock with another process is retried.
  const created = new Map<string, Promise<void>>();
  let chain: Promise<unknown> = Promise.resolve();
  const createOnce = async (name: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await boss.getQueue(name))) await boss.createQueue(name, { name });
        return;
      } catch (err) {
        if (attempt >= 5 || !isRetryable(err)) throw err;
        log?.warn({ task: name, attempt }, 'queue creation collided with another; retrying');
        await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
      }
    }
  };
  function ensure(name: string): Promise<void> {
    let p = created.get(name);
    if (!p) {
      p = chain.then(() => createOnce(name));
      chain = p.catch(() => undefined);
      p.catch(() => created.delete(name));
      created.set(name, p);
    }
    return p;
  }
  return {
    async start() {
      await boss.start();
      // Every known task's queue exists before anything (a health probe, a schedule) can ask for one.
      for (const name of deps.tasks ?? []) await ensure(name);
      log?.info('queue started');
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
    async send(name, payload, opts) {
      await ensure(name);
      return boss.send(name, payload as object, opts ?? {});
    },
    async work(name, handler, opts) {
      await ensure(name);
      return boss.work<TaskPayloads[typeof name]>(
        name,
        { pollingIntervalSeconds: deps.pollingIntervalSeconds ?? 2, ...opts },
        async (jobs) => {
          const started = Date.now();
          try {
            await handler(jobs);
            log?.info({ task: name, jobs: jobs.length, ms: Date.now() - started }, 'task done');
          } catch (err) {
            log?.warn({ task: name, jobs: jobs.length, err }, 'task failed; pg-boss will retry');
            throw err;
          }
        },
      );
    },
    async schedule(name, cron, payload, opts) {
      await ensure(name);
      await boss.schedule(name, cron, payload as object, opts ?? {});
    },
    async depth(name) {
      await ensure(name);
      return boss.getQueueSize(name);
    },
  };
}

/** A deadlock (40P01) or serialization failure (40001) with another creator: safe to try again. */
function isRetryable(err: unknown): boolean {
  for (let cur = err, depth = 0; depth < 5 && cur instanceof Error; depth++, cur = cur.cause) {
    const code = (cur as { code?: unknown }).code;
    if (code === '40P01' || code === '40001' || code === '23505') return true;
  }
  return false;
}

/**
 * Queued + retrying jobs of these tasks (what `depth` sums), read with plain SQL and no pg-boss start: for a CLI
 * beside a stopped server. 0 while pg-boss has never started on this database.
 */
export async function queuedJobs(db: Db, names: readonly TaskName[], schema = 'pgboss'): Promise<number> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid pg-boss schema name "${schema}"`);
  const exists = await db.executeSql('select to_regclass($1) as t', [`${schema}.job`]);
  if (!(exists.rows[0] as { t: unknown } | undefined)?.t || names.length === 0) return 0;
  const r = await db.executeSql(
    `select count(*)::int as n from ${schema}.job where name in (${names.map((_, i) => `$${i + 1}`).join(', ')}) and state < 'active'`,
    [...names],
  );
  return Number((r.rows[0] as { n: number } | undefined)?.n ?? 0);
}
