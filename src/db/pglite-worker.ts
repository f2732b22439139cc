// The embedded database's own thread (started by pglite-thread.ts): it opens PGlite in the data folder it is given
// and answers the main thread's requests (query, exec, begin/end of a transaction, dump, close). Every SQL
// statement PGlite runs — WASM, synchronous, with its file I/O — runs here, so the main thread's event loop (the
// HTTP server, the webhook acks) never waits behind one.
//
// Requests are handled as they arrive, without awaiting one before starting the next: PGlite's own mutexes keep
// the order (a statement outside a transaction waits for the open transaction, as in one process).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { ThreadReply, ThreadRequest } from './pglite-protocol.js';
import { serializeError } from './pglite-protocol.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs as a worker thread (see pglite-thread.ts)');
const { dataDir } = workerData as { dataDir: string };

/** Thrown inside PGlite's transaction callback to make it roll back. */
const ROLLBACK = Symbol('rollback');

interface OpenTx {
  tx: Transaction;
  end: (commit: boolean) => void;
  done: Promise<unknown>;
}

const txs = new Map<number, OpenTx>();
let nextTx = 1;

const passThrough = (v: string): string => v;

function parsersFor(types: number[] | undefined): Record<number, (v: string) => string> | undefined {
  if (!types) return undefined;
  return Object.fromEntries(types.map((t) => [t, passThrough]));
}

/** The client a request runs on: the open transaction it names, or the database. */
function clientOf(pg: PGlite, tx: number | undefined): Pick<Transaction, 'query' | 'exec'> {
  if (tx === undefined) return pg;
  const open = txs.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  return open.tx;
}

async function begin(pg: PGlite): Promise<number> {
  let opened!: (tx: Transaction) => void;
  const openedP = new Promise<Transaction>((r) => (opened = r));
  let end!: (commit: boolean) => void;
  const ended = new Promise<boolean>((r) => (end = r));
  const done = pg.transaction(async (tx) => {
    opened(tx);
    if (!(await ended)) throw ROLLBACK;
  });
  const tx = await Promise.race([
    openedP,
    done.then(() => {
      throw new Error('the transaction ended before it began');
    }),
  ]);
  const id = nextTx++;
  txs.set(id, { tx, end, done });
  return id;
}

async function finish(id: number, commit: boolean): Promise<void> {
  const open = txs.get(id);
  if (!open) throw new Error(`transaction ${id} is not open`);
  txs.delete(id);
  open.end(commit);
  try {
    await open.done;
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
}

async function handle(pg: PGlite, req: ThreadRequest): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (req.op) {
    case 'query': {
      const options = { ...(req.rowMode ? { rowMode: req.rowMode } : {}), ...(req.passThroughTypes ? { parsers: parsersFor(req.passThroughTypes) } : {}) };
      const r: Results = await clientOf(pg, req.tx).query(req.sql, req.params, options);
      return { value: r };
    }
    case 'exec':
      return { value: await clientOf(pg, req.tx).exec(req.sql) };
    case 'begin':
      return { value: await begin(pg) };
    case 'end':
      await finish(req.tx, req.commit);
      return { value: null };
    case 'dump': {
      const bytes = await (await pg.dumpDataDir(req.compression)).arrayBuffer();
      return { value: bytes, transfer: [bytes] };
    }
    case 'close':
      if (!pg.closed) await pg.close();
      return { value: null };
  }
}

const pg = await PGlite.create(dataDir);
port.on('message', (req: ThreadRequest) => {
  // Started synchronously, in arrival order (see the top of the file); answered when done.
  handle(pg, req).then(
    ({ value, transfer }) => port.postMessage({ id: req.id, ok: true, value } satisfies ThreadReply, transfer ?? []),
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: serializeError(err) } satisfies ThreadReply),
  );
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies ThreadReply);
