// How a CLI command reaches the data: it opens the runtime itself (cli/runtime.ts openRuntimeOrServer), or — when
// a running server holds the embedded database (PGlite's data directory is locked to one process) — it asks that
// server's admin API instead.
//
//   const target = await openRuntimeOrServer(config, io);
//   if (target.kind === 'server') {
//     const r = await target.api.call<{ url: string }>('GET', '/api/admin/webhook-url');
//     out(r.body.url);
//   } else {
//     await withRuntime(target.rt, async (rt) => …rt.db…, await rt.webhooks() …);
//   }
//
// The server is found from the same config the server reads: http://HOST:PORT (0.0.0.0 / :: → 127.0.0.1). The admin
// token is LEADBRIDGE_ADMIN_TOKEN, else the sandbox's generated one, which the server writes to
// `<LEADBRIDGE_DATA_DIR>/admin-token` (mode 0600) for the CLI on the same machine. `api.call()` throws a
// ServerApiError (one line for the operator, no stack) when the server does not answer, refuses the token, lacks the
// route, or answers a status not in `accept` (default: 2xx); a problem+json body's `code` and `detail` are in it.
// With PostgreSQL (DATABASE_URL) nothing is locked and commands always open the database themselves.
import type { Config } from '../config/index.js';
import type { DataDirLockedError } from '../db/index.js';
import { adminTokenPath, readAdminTokenFile } from '../ops/index.js';

/** A failure talking to the running server; its message is the whole story. */
export class ServerApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerApiError';
  }
}

export interface ServerResponse<T> {
  status: number;
  body: T;
}

export interface ServerApi {
  /** http://host:port of the server. */
  url: string;
  call<T = unknown>(method: 'GET' | 'POST', path: string, opts?: CallOptions): Promise<ServerResponse<T>>;
}

export interface CallOptions {
  body?: unknown;
  /** Statuses that are answers, not errors (default: 2xx). */
  accept?: number[];
  /** The body as bytes (a backup archive), not parsed. */
  bytes?: boolean;
}

/** The URL the CLI uses for the server of this config. */
export function serverUrl(config: Pick<Config, 'host' | 'port'>): string {
  const h = config.host === '0.0.0.0' || config.host === '::' || config.host === '' ? '127.0.0.1' : config.host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${config.port}`;
}

/** A client for the running server's admin API; `locked` (why the CLI asks the server) words the errors. */
export function serverApi(config: Config, locked?: DataDirLockedError): ServerApi {
  const url = serverUrl(config);
  const held = locked ? `the data directory ${config.dataDir} is locked by process ${locked.pid}` : 'this command needs the running server';
  const token = config.adminToken ?? readAdminTokenFile(config.dataDir);
  return {
    url,
    async call<T>(method: 'GET' | 'POST', path: string, opts: CallOptions = {}): Promise<ServerResponse<T>> {
      if (!token) {
        throw new ServerApiError(
          `${held} (a running server): set LEADBRIDGE_ADMIN_TOKEN so this command can ask the server at ${url}, or stop the server`,
        );
      }
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      let res: Response;
      try {
        res = await fetch(`${url}${path}`, {
          method,
          headers: opts.body !== undefined || method === 'POST' ? { ...headers, 'content-type': 'application/json' } : headers,
          ...(method === 'POST' ? { body: JSON.stringify(opts.body ?? {}) } : {}),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const code = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : 'no answer');
        throw new ServerApiError(
          `the server is not running at ${url} (HOST/PORT; ${code}) and ${held}: start Leadbridge, point HOST/PORT at the running server, or stop process ${locked?.pid ?? 'holding the directory'}`,
        );
      }
      if (opts.bytes && res.ok) return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) as T };
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: kept as text
      }
      if ((opts.accept ?? []).includes(res.status) || (opts.accept === undefined && res.status >= 200 && res.status < 300)) {
        return { status: res.status, body: body as T };
      }
      if (res.status === 401 || res.status === 403) {
        throw new ServerApiError(
          `the server at ${url} refused the admin token (${res.status}): set LEADBRIDGE_ADMIN_TOKEN to the server's` +
            (config.adminToken ? '' : ` (the sandbox writes its generated one to ${adminTokenPath(config.dataDir)})`),
        );
      }
      const p = (typeof body === 'object' && body ? body : {}) as { code?: string; detail?: string; title?: string };
      if (res.status === 404 && (p.code === undefined || p.code === 'NOT_FOUND')) {
        throw new ServerApiError(`the server at ${url} has no ${method} ${path.split('?')[0]}: it runs another Leadbridge version; restart it`);
      }
      const what = [p.code, p.detail ?? p.title].filter(Boolean).join(': ') || (typeof body === 'string' ? body.slice(0, 200) : '');
      throw new ServerApiError(`the server at ${url} answered ${res.status} to ${method} ${path.split('?')[0]}${what ? ` (${what})` : ''}`);
    },
  };
}
