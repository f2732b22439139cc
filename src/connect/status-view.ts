// The connection as JSON for /api/auth/amo/status, GET /api/amocrm/callback (no code) and /health: never a secret.
// Anonymous callers get the public view (connected or not, and where to connect); the account, its host and the
// token times are for the admin token only.
import type { AmoConnection } from './connection.js';
import type { ConnectionStatus } from './token-store.js';

const iso = (ms: number | null): string | null => (ms === null || ms >= Date.UTC(9999, 0, 1) ? null : new Date(ms).toISOString());

/** The view's state: the stored one, or `unverified` for connected tokens amoCRM has not accepted yet (env import). */
export type ViewState = ConnectionStatus['state'] | 'unverified';

const UNVERIFIED_REASON =
  'the token from the environment (AMOCRM_REFRESH_TOKEN / AMOCRM_ACCESS_TOKEN / AMOCRM_LONG_LIVED_TOKEN) has not been accepted by amoCRM yet; the first call checks it (`leadbridge doctor` does now)';

function viewState(s: ConnectionStatus): { state: ViewState; reason: string | null } {
  if (s.state === 'connected' && !s.verified) return { state: 'unverified', reason: UNVERIFIED_REASON };
  return { state: s.state, reason: s.reason };
}

/** What anyone may see: whether it is connected and where to (re)connect. */
export type PublicStatusView = {
  connected: boolean;
  state: ViewState;
  install_url: string;
  sandbox: boolean;
  /** How to see the rest. */
  details: string;
};

export function publicStatusView(s: ConnectionStatus, extra: { installUrl: string; sandbox: boolean }): PublicStatusView {
  const { state } = viewState(s);
  return {
    connected: state === 'connected',
    state,
    install_url: extra.installUrl,
    sandbox: extra.sandbox,
    details: 'the account, token expiry and reason are shown with "Authorization: Bearer <LEADBRIDGE_ADMIN_TOKEN>"',
  };
}

export type StatusView = {
  connected: boolean;
  state: ViewState;
  verified: boolean;
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
  const { state, reason } = viewState(s);
  return {
    connected: state === 'connected',
    state,
    verified: s.verified,
    reason,
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

/**
 * The `amocrm` health check: ok only when connected; says where the sandbox emulator runs. `public: true` (the
 * anonymous GET /health) leaves out the account host and the token expiry; the dashboard's overview gets them.
 */
export function amocrmHealthCheck(conn: AmoConnection, opts: { sandbox: boolean; emulatorUrl?: string; installUrl: string; public?: boolean }) {
  return async () => {
    const s = await conn.status();
    const circuit = conn.amo.circuitState();
    // As seen by the last call: amoCRM gave no answer (refused, DNS, timeout) → not ok, whatever the token says.
    const reach = conn.amo.reachability();
    const unreachable = reach.state === 'unreachable';
    return {
      ok: s.state === 'connected' && s.verified && circuit.state !== 'open' && !unreachable,
      state: s.state,
      ...(s.state === 'connected' && !s.verified ? { verified: false, reason: UNVERIFIED_REASON } : s.reason ? { reason: s.reason } : {}),
      reachable: reach.state === 'unknown' ? null : !unreachable,
      // amoCRM not answering is the first thing to fix: it is the reason (an unverified token cannot be checked).
      ...(unreachable
        ? {
            reason: `amoCRM does not answer (${reach.error})`,
            unreachable_since: iso(reach.since),
            error: reach.error,
            failed_calls: reach.failures,
            fix: `amoCRM does not answer (${reach.error}): check the network, DNS and the account host`,
          }
        : {}),
      ...(opts.public ? {} : { account: s.host, expires_at: iso(s.expiresAt) }),
      circuit: circuit.state,
      ...(s.state !== 'connected' ? { fix: `open ${opts.installUrl} to connect amoCRM` } : {}),
      ...(opts.sandbox ? { sandbox: true, emulator_url: opts.emulatorUrl ?? null } : {}),
    };
  };
}
