// The embedded database on its own thread: PGlite runs every statement synchronously (WASM, with its file I/O) on
// the thread that owns it, so in the server's thread one long statement or commit holds up every HTTP answer —
// the webhook acks amoCRM gives 2 s (issue #10 measured p99 102 ms at 500/s while the processor applied). This
// client owns a worker thread (pglite-worker.ts) that owns the PGlite, and offers the part of PGlite's interface
// Leadbridge and drizzle use: query, exec, transaction, dumpDataDir, close.
//
// A transaction is begun in the worker and held open there while the callback here runs its statements; the
// worker's PGlite queues statements from outside the transaction behind it, as PGlite does in one thread.
// The worker keeps the process alive only while a request is waiting (no hang on a forgotten close).
import { Worker } from 'node:worker_threads';
import type { Results, Transaction } from '@electric-sql/pglite';
import type { RequestBody, ThreadReply } from './pglite-protocol.js';
import { deserializeError } from './pglite-protocol.js';

interface QueryOptions {
  rowMode?: 'array' | 'object';
  /** Only pass-through parsers (value => value) can cross the thread: drizzle's are. */
  parsers?: Record<number, (value: string, typeId?: number) => unknown>;
}

/** What Leadbridge and drizzle's PGlite driver use of a PGlite (the in-thread PGlite has the same shape). */
export interface PgliteClient {
  readonly closed: boolean;
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string): Promise<Results[]>;
  transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T>;
  dumpDataDir(compression?: 'auto' | 'gzip' | 'none'): Promise<Blob>;
  close(): Promise<void>;
}

function passThroughTypes(parsers: QueryOptions['parsers']): number[] | undefined {
  if (!parsers) return undefined;
  const types = Object.keys(parsers).map(Number);
  for (const t of types) {
    const probe = '2026-01-01 00:00:00';
    if (parsers[t]?.(probe, t) !== probe) throw new Error(`the PGlite thread only takes pass-through parsers (type ${t} has another)`);
  }
  return types;
}

/**
 * The worker next to this file: JavaScript in dist/; under tsx or vitest (this file is TypeScript) a one-line
 * bootstrap registers tsx in the new thread first, since module hooks are not inherited by worker threads.
 */
function startWorker(dataDir: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: { dataDir } });
  const entry = new URL('./pglite-worker.ts', import.meta.url).href;
  // Resolved from here where the runtime can (Node's import.meta.resolve); vitest's module runner has none, and then
  // the eval'd bootstrap resolves the bare name from the working directory (the repository, where tests run).
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: { dataDir } });
}

export class PgliteThread implements PgliteClient {
  #worker: Worker;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #closed = false;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (reply: ThreadReply) => {
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(deserializeError(reply.error));
    });
    const fail = (err: Error): void => {
      this.#failure ??= err;
      this.#closed = true;
      for (const w of this.#pending.values()) w.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the embedded database's thread exited (code ${code})`)));
  }

  /** Starts the thread and opens PGlite in `dataDir` there; resolves once it is ready. */
  static async open(dataDir: string): Promise<PgliteThread> {
    const worker = startWorker(dataDir);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`the embedded database's thread exited while opening (code ${code})`));
      };
      const onReady = (m: ThreadReply): void => {
        if (m.id !== 0) return;
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        worker.off('error', onError).off('exit', onExit).off('message', onReady);
      };
      worker.on('error', onError).on('exit', onExit).on('message', onReady);
    });
    return new PgliteThread(worker);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #call(body: RequestBody): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#failure ?? new Error('the embedded database is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...body });
    });
  }

  #query<T>(sql: string, params: unknown[] | undefined, options: QueryOptions | undefined, tx?: number): Promise<Results<T>> {
    const types = passThroughTypes(options?.parsers);
    return this.#call({
      op: 'query',
      sql,
      ...(params ? { params } : {}),
      ...(options?.rowMode ? { rowMode: options.rowMode } : {}),
      ...(types ? { passThroughTypes: types } : {}),
      ...(tx !== undefined ? { tx } : {}),
    }) as Promise<Results<T>>;
  }

  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(sql, params, options);
  }

  async exec(sql: string): Promise<Results[]> {
    return (await this.#call({ op: 'exec', sql })) as Results[];
  }

  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = (await this.#call({ op: 'begin' })) as number;
    let ended = false;
    const end = async (commit: boolean): Promise<void> => {
      if (ended) return;
      ended = true;
      await this.#call({ op: 'end', tx: id, commit });
    };
    const tx = {
      query: <R>(sql: string, params?: unknown[], options?: QueryOptions) => this.#query<R>(sql, params, options, id),
      exec: async (sql: string) => (await this.#call({ op: 'exec', sql, tx: id })) as Results[],
      rollback: () => end(false),
      get closed() {
        return ended;
      },
    } as unknown as Transaction;
    let result: T;
    try {
      result = await callback(tx);
    } catch (err) {
      await end(false).catch(() => undefined);
      throw err;
    }
    await end(true);
    return result;
  }

  async dumpDataDir(compression?: 'auto' | 'gzip' | 'none'): Promise<Blob> {
    const bytes = (await this.#call({ op: 'dump', ...(compression ? { compression } : {}) })) as ArrayBuffer;
    return new Blob([bytes]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#call({ op: 'close' });
    } finally {
      this.#closed = true;
      this.#failure ??= new Error('the embedded database is closed');
      await this.#worker.terminate();
    }
  }
}
