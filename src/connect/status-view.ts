// The connection as JSON for /api/auth/amo/status, GET /api/amocrm/callback (no code) and /health: never a secret.
import type { AmoConnection } from './connection.js';
import type { ConnectionStatus } from './token-store.js';

const iso = (ms: number | null): string | null => (ms === null || ms >= Date.UTC(9999, 0, 1) ? null : new Date(ms).toISOString());

export type StatusView = {
  connected: boolean;
  state: ConnectionStatus['state'];
  reason: string | null;
  account: { id: number | null; subdomain: string | null; host: string | null };
  token: {
    kind: ConnectionStatus['kind'];
    expires_at: string | null;
    last_refresh_at: string | null;
    refresh_expires_at: string | null;
  };
  connected_at: string | null;
  /** Where a human (re)connects. */
  install_url: string;
  sandbox: boolean;
};

export function statusView(s: ConnectionStatus, extra: { installUrl: string; sandbox: boolean }): StatusView {
  return {
    connected: s.state === 'connected',
    state: s.state,
    reason: s.reason,
    account: { id: s.accountId, subdomain: s.subdomain, host: s.host },
    token: {
      kind: s.kind,
      expires_at: iso(s.expiresAt),
      last_refresh_at: iso(s.lastRefreshAt),
      refresh_expires_at: iso(s.refreshExpiresAt),
    },
    connected_at: iso(s.connectedAt),
    install_url: extra.installUrl,
    sandbox: extra.sandbox,
  };
}

/** The `amocrm` health check: ok only when connected; says where the sandbox emulator runs. */
export function amocrmHealthCheck(conn: AmoConnection, opts: { sandbox: boolean; emulatorUrl?: string; installUrl: string }) {
  return async () => {
    const s = await conn.status();
    const circuit = conn.amo.circuitState();
    // As seen by the last call: amoCRM gave no answer (refused, DNS, timeout) → not ok, whatever the token says.
    const reach = conn.amo.reachability();
    const unreachable = reach.state === 'unreachable';
    return {
      ok: s.state === 'connected' && circuit.state !== 'open' && !unreachable,
      state: s.state,
      ...(s.reason ? { reason: s.reason } : {}),
      reachable: reach.state === 'unknown' ? null : !unreachable,
      ...(unreachable
        ? { unreachable_since: iso(reach.since), error: reach.error, failed_calls: reach.failures, fix: `amoCRM does not answer (${reach.error}): check the network, DNS and the account host` }
        : {}),
      account: s.host,
      expires_at: iso(s.expiresAt),
      circuit: circuit.state,
      ...(s.state !== 'connected' ? { fix: `open ${opts.installUrl} to connect amoCRM` } : {}),
      ...(opts.sandbox ? { sandbox: true, emulator_url: opts.emulatorUrl ?? null } : {}),
    };
  };
}
