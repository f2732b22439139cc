// `leadbridge doctor` / GET /api/admin/doctor: config, connection and token expiry, the account probe, every mapped
// field/pipeline/stage, the webhook subscription, the circuit, the stored id map, the database and the queue.
// A ✓/✗ table with the fix for each ✗ (runner and provisioning checks from provision/).
import { AmoCircuitOpenError, AmoConnectionError, AmoPaymentRequiredError, AmoRateLimitError } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import {
  loadResolvedMap,
  loadSnapshot,
  maskUrl,
  provisionApiFromClient,
  provisionChecks,
  runDoctor,
  type CheckResult,
  type DoctorCheck,
  type DoctorReport,
} from '../provision/index.js';
import type { AmoConnection } from './connection.js';
import { getWebhookUrl } from './keys.js';
import { withSystemFields } from './setup.js';
import { staleWebhooks } from './webhook-subscriptions.js';
import type { ProvisionSpec } from '../provision/index.js';
import { createRouting } from '../routing/index.js';

export interface DoctorDeps {
  config: Config;
  db: Db;
  conn: AmoConnection;
  /** Queued jobs (the queue check is skipped when absent). */
  queueDepth?: () => Promise<number>;
  spec?: ProvisionSpec;
}

const DAY = 24 * 3600_000;
const ok = (detail: string): CheckResult => ({ ok: true, detail });
const bad = (detail: string, fix: string): CheckResult => ({ ok: false, detail, fix });
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function accountFix(e: unknown, config: Config, install: string): string {
  if (e instanceof AmoConnectionError) {
    return config.sandbox
      ? 'the sandbox emulator runs inside the server: start Leadbridge (`npm start`) and use GET /api/admin/doctor'
      : 'amoCRM is not reachable from this machine: check DNS, firewall and proxy settings';
  }
  if (e instanceof AmoCircuitOpenError || e instanceof AmoRateLimitError) return 'amoCRM is rate-limiting this account: wait a few minutes';
  if (e instanceof AmoPaymentRequiredError) return 'the amoCRM account is not paid: renew the subscription';
  return `reconnect: open ${install}`;
}

export async function connectDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const { config, conn } = deps;
  const install = `${config.publicUrl}/api/auth/amo`;
  const spec = withSystemFields(deps.spec ?? config.account);
  const status = await conn.status();
  const now = conn.now();
  const checks: DoctorCheck[] = [];

  checks.push({
    name: 'config',
    run: () => {
      if (!deps.spec && !config.account) {
        return bad(
          `${config.configFileFound ? config.configPath : 'no config file'}: no \`account:\` section`,
          'add an `account:` section (pipelines, fields); copy one from presets/',
        );
      }
      if (!config.sandbox && !conn.oauth && status.kind !== 'long_lived') {
        return bad('AMOCRM_CLIENT_ID / AMOCRM_CLIENT_SECRET are not set', 'copy them from the amoCRM integration (Settings → Integrations), or use a long-lived token');
      }
      return ok(`${config.sandbox ? 'sandbox (built-in emulator); ' : ''}${spec.pipelines.length} pipelines, ${spec.fields.leads.length + spec.fields.contacts.length + spec.fields.companies.length} fields`);
    },
  });
  checks.push({
    name: 'database',
    run: async () => {
      await deps.db.ping();
      return ok(deps.db.kind === 'postgres' ? 'PostgreSQL reachable' : 'embedded PGlite open');
    },
  });
  if (deps.queueDepth) {
    const depth = deps.queueDepth;
    checks.push({ name: 'queue', run: async () => ok(`${await depth()} jobs queued`) });
  }
  checks.push({
    name: 'amoCRM connection',
    run: () => {
      if (status.state === 'connected') return ok(`${status.host}${status.accountId ? ` (account ${status.accountId})` : ''}, ${status.kind}`);
      if (status.state === 'not_connected') return bad('not connected', `open ${install} and approve access`);
      return bad(`${status.state}${status.reason ? ` (${status.reason})` : ''}`, `reconnect: open ${install} and approve access${status.kind === 'long_lived' ? ', or set a new AMOCRM_LONG_LIVED_TOKEN' : ''}`);
    },
  });
  checks.push({
    name: 'token expiry',
    run: () => {
      if (status.state === 'not_connected') return bad('no token', `open ${install}`);
      if (status.kind === 'long_lived') {
        const exp = status.expiresAt ?? Infinity;
        if (exp <= now) return bad(`long-lived token expired on ${day(exp)}`, 'create a new long-lived token in the amoCRM integration (Keys and access) and set AMOCRM_LONG_LIVED_TOKEN, then restart');
        if (exp - now < 14 * DAY) return bad(`long-lived token expires on ${day(exp)}`, 'create a new long-lived token in amoCRM before then and set AMOCRM_LONG_LIVED_TOKEN');
        return ok(exp >= Date.UTC(9999, 0, 1) ? 'long-lived token, no expiry' : `long-lived token valid until ${day(exp)}`);
      }
      const refreshExp = status.refreshExpiresAt ?? 0;
      if (refreshExp <= now) return bad(`refresh token expired on ${day(refreshExp)} (no refresh for 3 months)`, `reconnect: open ${install}`);
      if (refreshExp - now < 30 * DAY) return bad(`refresh token expires on ${day(refreshExp)}; the keep-alive has not run`, 'check that Leadbridge runs (the daily keep-alive refreshes weekly), or reconnect');
      return ok(`access token until ${status.expiresAt ? new Date(status.expiresAt).toISOString() : '?'} (auto-refreshed); last refresh ${status.lastRefreshAt ? day(status.lastRefreshAt) : '?'}`);
    },
  });
  checks.push({
    name: 'rate-limit circuit',
    run: () => {
      const c = conn.amo.circuitState();
      if (c.state === 'closed') return ok('closed (calls flow)');
      return bad(`${c.state}${c.reason ? `: ${c.reason}` : ''}${c.openUntil ? ` until ${new Date(c.openUntil).toISOString()}` : ''}`, 'amoCRM blocked the account after too many requests; wait, and lower delivery.rate_per_second if it repeats');
    },
  });

  let accountOk = false;
  if (status.state === 'connected') {
    try {
      const account = await conn.amo.account.get();
      accountOk = true;
      checks.push({ name: 'amoCRM account', run: () => ok(`#${account.id} "${account.subdomain}" answers`) });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      checks.push({ name: 'amoCRM account', run: () => bad(`the account does not answer: ${message}`, accountFix(e, config, install)) });
    }
  }
  if (accountOk) {
    try {
      const snapshot = await loadSnapshot(provisionApiFromClient(conn.amo));
      const webhookUrl = await getWebhookUrl(deps.db.db, config);
      checks.push(...provisionChecks(spec, snapshot, webhookUrl));
      const stale = staleWebhooks(snapshot.webhooks, webhookUrl);
      checks.push({
        name: 'old webhook subscriptions',
        run: () =>
          stale.length === 0
            ? ok('none (only the current webhook URL is subscribed)')
            : bad(
                `${stale.length} Leadbridge webhook subscription${stale.length === 1 ? '' : 's'} to an earlier URL (PORT, LEADBRIDGE_PUBLIC_URL or the secret changed): ${stale.map((s) => maskUrl(s.destination)).join(', ')}`,
                'run `leadbridge setup`: it subscribes the current URL and removes the old ones',
              ),
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      checks.push({ name: 'account setup', run: () => bad(`could not read pipelines, fields and webhooks: ${message}`, 'connect as an amoCRM administrator and run doctor again') });
    }
  } else {
    checks.push({ name: 'account setup', run: () => bad('not checked: the account is not reachable', 'fix the connection first, then run doctor again') });
  }
  if (accountOk) {
    // Every configured manager exists and is active in amoCRM (GET /api/v4/users).
    const routing = createRouting({ db: deps.db.db, amo: conn.amo, config: config.routing });
    for (const c of await routing.checks()) checks.push({ name: c.name, run: () => (c.ok ? ok(c.detail) : bad(c.detail, c.fix ?? '')) });
  }
  checks.push({
    name: 'stored id map',
    run: async () => ((await loadResolvedMap(deps.db.db)) ? ok('present (written by setup)') : bad('setup has not stored the id map yet', 'run `leadbridge setup`')),
  });
  return runDoctor(checks);
}
