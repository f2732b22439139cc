// How a CLI command gets the system: the runtime the server is built from (src/runtime, role `cli` unless told),
// or — when a running server holds the embedded database — that server's admin API (server-api.ts).
import { DataDirLockedError } from '../db/index.js';
import type { Config } from '../config/index.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime/index.js';
import { serverApi, type ServerApi } from './server-api.js';
import { cliLogger, type CommandIo } from './io.js';

export type RuntimeOrServer = { kind: 'runtime'; rt: Runtime } | { kind: 'server'; api: ServerApi };

type CliRuntimeOptions = Omit<RuntimeOptions, 'role' | 'db' | 'onOpen' | 'env'> & { role?: RuntimeOptions['role'] };

/** The command's runtime (logging to stderr): on `io.db` when given (left open), else on the configured database. */
export function openCliRuntime(config: Config, io: CommandIo, opts: CliRuntimeOptions = {}): Promise<Runtime> {
  return openRuntime(config, {
    role: 'cli',
    env: process.env,
    logger: cliLogger(config),
    ...opts,
    ...(io.db ? { db: io.db } : {}),
    ...(io.onRuntime ? { onOpen: io.onRuntime } : {}),
  });
}

/** The runtime, or the running server's API when the server holds the embedded database. */
export async function openRuntimeOrServer(config: Config, io: CommandIo, opts: CliRuntimeOptions = {}): Promise<RuntimeOrServer> {
  try {
    return { kind: 'runtime', rt: await openCliRuntime(config, io, opts) };
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    return { kind: 'server', api: serverApi(config, e) };
  }
}

/** Runs `fn` on the runtime and closes it (a borrowed `io.db` stays open). */
export async function withRuntime<T>(rt: Runtime, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
