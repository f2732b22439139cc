// The chaos run shared by src/delivery/chaos.db.test.ts (small, in CI) and bench/chaos.ts (bigger): the real server
// (`leadbridge start`, child processes, OAuth pair imported from the env, AMOCRM_API_BASE_URL at the emulator) takes
// leads of persons who come back (the same phone written differently, some with an email) while the emulator — its
// own process, so its request timestamps do not wait on anybody's event loop — answers 5xx, drops the connection or
// holds the answer past the client's timeout after creating, bursts 429s, lags its search and expires the access
// tokens (twice); the server is SIGKILLed twice and restarted. Then: every accepted lead is exactly one deal, no
// person has two contacts, no refresh failed (nothing revoked), and no one-second window at the emulator saw more
// than 7 API requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { leads, openDb } from '../src/db/index.js';
import { databaseUrl } from './db-url.js';
import { freePort } from './net.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const COMPLEX = '/api/v4/leads/complex';

export interface ChaosOptions {
  leads: number;
  /** Distinct persons (leads / persons ≈ how often a person comes back). */
  persons: number;
  /** PostgreSQL server URL (a fresh database is created and dropped); otherwise a PGlite data dir. */
  postgresUrl?: string;
  /** Server instances (2 = two on one PostgreSQL). */
  instances?: number;
  /** Search index lag of the emulator (ms). */
  searchLagMs?: number;
  /** Added to every emulator answer (ms). */
  latencyMs?: number;
  seed?: number;
  /** Overall time limit (ms). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  accepted: number;
  storedLeads: number;
  deals: number;
  /** Accepted leads with no deal / with more than one. */
  missing: string[];
  duplicated: string[];
  /** Deals whose marker is no stored lead. */
  strayDeals: number;
  /** Persons (phone) with more than one contact. */
  twinContacts: number;
  contacts: number;
  /** Token refresh calls and the ones that did not answer 200. */
  refreshes: number;
  failedRefreshes: number;
  /** Leads not delivered at the end (status: count). */
  notDelivered: Record<string, number>;
  apiCalls: number;
  maxPerSecond: number;
  /** Faults queued at the emulator (each consumed by one request, the rest cleared at the end). */
  injected: Record<string, number>;
  /** What the server met: API answers by status class (0 = the connection was dropped or the answer never came). */
  met: Record<string, number>;
  kills: number;
  /**
   * Kills that waited for a token rotation to be stored first, and kills that still landed inside one (the new pair
   * not yet used). Under amoCRM's strict rotation a process killed between the rotation and storing the new pair
   * loses it — no client can avoid that — so the harness kills only outside that window, and says so.
   */
  killsWaitedForRotation: number;
  killsInsideRotation: number;
  seconds: number;
  deliveredPerSecond: number;
}

interface Call {
  at: number;
  method: string;
  path: string;
  status: number;
}

/** Most requests in any window of 1 s (by arrival at the emulator). */
export function maxPerSecond(at: number[]): number {
  const t = [...at].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | string>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { proc, out: () => out, exited };
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

/** A person's phone written one of the ways visitors write it. */
function phoneOf(person: number, variant: number): string {
  const d = String(9_160_000_000 + person);
  const [a, b, c, e] = [d.slice(0, 3), d.slice(3, 6), d.slice(6, 8), d.slice(8, 10)];
  return [`+7${d}`, `8 (${a}) ${b}-${c}-${e}`, `+7 ${a} ${b} ${c} ${e}`, `7${d}`][variant % 4]!;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const random = rng(o.seed ?? 20261202);
  const instances = o.instances ?? 1;
  if (instances > 1 && !o.postgresUrl) throw new Error('several instances need PostgreSQL');
  const started = Date.now();
  const deadline = started + (o.timeoutMs ?? 300_000);
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-chaos-'));
  const children: Child[] = [];
  let dbName: string | undefined;
  const injected: Record<string, number> = {};
  const count = (k: string, n = 1): void => {
    injected[k] = (injected[k] ?? 0) + n;
  };
  try {
    // --- the emulator, its own process: 7/s with escalation to a 403 block (its default), a lagging search.
    const clientId = randomUUID();
    const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
    // One redirect URI for the integration (every instance sends the same one when it refreshes).
    const redirectUri = `http://127.0.0.1:${ports[0]}/api/auth/amo/callback`;
    const clientSecret = randomBytes(16).toString('hex');
    const emu = run(
      ['emulator', '--port', '0', '--client-id', clientId, '--client-secret', clientSecret, '--redirect-uri', redirectUri, '--search-lag-ms', String(o.searchLagMs ?? 3000), '--latency-ms', String(o.latencyMs ?? 30)],
      { ...process.env, LOG_LEVEL: 'warn' },
    );
    children.push(emu);
    const emuUrl = await (async () => {
      for (;;) {
        const m = /listening on (http:\/\/\S+)/.exec(emu.out());
        if (m?.[1]) return m[1];
        if (emu.proc.exitCode !== null || Date.now() > deadline) throw new Error(`emulator did not start: ${emu.out()}`);
        await sleep(50);
      }
    })();
    const control = async (path: string, body?: unknown): Promise<Response> =>
      fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const health = await json<{ subdomain: string }>(await control('/_emulator/health'));
    const domain = `${health.subdomain}.amocrm.ru`;
    // The account's LEADBRIDGE_ID field (what `leadbridge setup` would create), made with a long-lived token.
    const ll = await json<{ access_token: string }>(await control('/_emulator/long-lived-token', { admin: true }));
    const made = await fetch(`${emuUrl}/api/v4/leads/custom_fields`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ll.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }]),
    });
    if (made.status !== 200) throw new Error(`cannot create LEADBRIDGE_ID: ${made.status}`);
    // The OAuth pair the server imports from its env once, then rotates in its encrypted store.
    const pair = await json<{ access_token: string; refresh_token: string }>(await control('/_emulator/tokens', { admin: true }));

    // --- the database
    let dbEnv: NodeJS.ProcessEnv;
    if (o.postgresUrl) {
      dbName = `chaos_${randomBytes(5).toString('hex')}`;
      const c = new pg.Client({ connectionString: o.postgresUrl });
      await c.connect();
      await c.query(`create database ${dbName}`);
      await c.end();
      dbEnv = { DATABASE_URL: databaseUrl(o.postgresUrl, dbName) };
    } else {
      dbEnv = { LEADBRIDGE_DATA_DIR: join(dir, 'data') };
    }

    // --- the server instances
    const configPath = join(dir, 'leadbridge.yaml');
    // Every visitor comes from 127.0.0.1 here: the per-IP intake limit (30/min by default) would pace the run.
    writeFileSync(configPath, 'forms:\n  site: {}\nrate_limit:\n  per_ip_per_minute: 100000\n');
    const adminToken = randomBytes(16).toString('hex');
    const servers: (Child | undefined)[] = Array.from({ length: instances });
    const baseEnv = (port: number): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...dbEnv,
        PORT: String(port),
        HOST: '127.0.0.1',
        LEADBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LEADBRIDGE_CONFIG: configPath,
        LEADBRIDGE_SECRET_KEY: 'chaos-' + 'k'.repeat(40),
        LEADBRIDGE_ADMIN_TOKEN: adminToken,
        LEADBRIDGE_RECONCILE_CRON: 'off',
        AMOCRM_DOMAIN: domain,
        AMOCRM_CLIENT_ID: clientId,
        AMOCRM_CLIENT_SECRET: clientSecret,
        AMOCRM_REDIRECT_URI: redirectUri,
        AMOCRM_REFRESH_TOKEN: pair.refresh_token,
        AMOCRM_ACCESS_TOKEN: pair.access_token,
        AMOCRM_API_BASE_URL: emuUrl,
        LOG_LEVEL: 'warn',
      };
      if (!o.postgresUrl) delete env.DATABASE_URL;
      else delete env.LEADBRIDGE_DATA_DIR;
      return env;
    };
    const up = async (i: number): Promise<void> => {
      const port = ports[i]!;
      const child = run(['start'], baseEnv(port));
      children.push(child);
      servers[i] = child;
      for (;;) {
        if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`server ${i} exited: ${child.out()}`);
        if (Date.now() > deadline) throw new Error(`server ${i} did not start: ${child.out()}`);
        const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (res) {
          await res.arrayBuffer();
          if (res.status === 200) return;
        }
        await sleep(200);
      }
    };
    for (let i = 0; i < instances; i++) await up(i);
    log(`chaos: ${instances} server(s) up after ${((Date.now() - started) / 1000).toFixed(1)} s on ${o.postgresUrl ? 'PostgreSQL' : 'PGlite'}`);

    // --- chaos, in the emulator (every fault is consumed by one request)
    let chaosOn = true;
    const faults = [
      () => (count('5xx'), { method: 'POST', path: COMPLEX, status: [500, 502, 503][Math.floor(random() * 3)], count: 1 + Math.floor(random() * 2) }),
      () => (count('drop_after_create'), { method: 'POST', path: COMPLEX, when: 'after', drop: true, count: 1 }),
      () => (count('429_burst'), { path: '/api/v4/*', status: 429, body: { status: 429, title: 'Too Many Requests' }, count: 2 + Math.floor(random() * 3) }),
      () => (count('search_5xx'), { method: 'GET', path: '/api/v4/contacts', status: 503, count: 1 }),
      () => (count('lookup_5xx'), { method: 'GET', path: '/api/v4/leads', status: 502, count: 1 }),
    ];
    const timeoutsAllowed = Math.max(1, Math.round(o.leads / 150));
    const chaos = (async () => {
      let timeouts = 0;
      while (chaosOn) {
        await sleep(1500 + random() * 1000);
        if (!chaosOn) break;
        const roll = random();
        // ~20 % of complex calls meet a fault; a timeout after create (the answer held past the client's 15 s) is rarer.
        const f = roll < 0.06 && timeouts < timeoutsAllowed ? (timeouts++, count('timeout_after_create'), { method: 'POST', path: COMPLEX, when: 'after', delayMs: 16_000, count: 1 }) : faults[Math.floor(random() * faults.length)]!();
        await control('/_emulator/faults', f).catch(() => undefined);
      }
    })();

    // --- leads: persons coming back, phones written differently, some with an email; through every live instance.
    const acceptedIds = new Set<string>();
    let kills = 0;
    let killsWaitedForRotation = 0;
    let killsInsideRotation = 0;
    const rotationPending = async (): Promise<boolean> => (await json<{ pending: boolean }>(await control('/_emulator/tokens/rotation'))).pending;
    const restarting: Promise<void>[] = [];
    const killAt = [Math.floor(o.leads * 0.3), Math.floor(o.leads * 0.65)];
    const expireAt = [Math.floor(o.leads * 0.2), Math.floor(o.leads * 0.55)];
    const submit = async (i: number): Promise<void> => {
      const person = Math.floor(random() * o.persons);
      const payload: Record<string, unknown> = { form: 'site', name: `Person ${person}`, phone: phoneOf(person, i), message: `chaos lead ${i}` };
      if (person % 3 === 0) payload.email = `person${person}@example.org`;
      for (let attempt = 0; ; attempt++) {
        const live = servers.map((s, k) => (s && s.proc.exitCode === null && s.proc.signalCode === null ? k : -1)).filter((k) => k >= 0);
        const port = ports[live[(i + attempt) % Math.max(1, live.length)] ?? 0]!;
        const res = await fetch(`http://127.0.0.1:${port}/api/leads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${i}` },
          body: JSON.stringify(payload),
        }).catch(() => undefined);
        if (res && res.status === 202) {
          acceptedIds.add((await json<{ id: string }>(res)).id);
          return;
        }
        if (res) {
          const text = await res.text();
          if (res.status < 500 && res.status !== 429) throw new Error(`lead ${i} refused ${res.status}: ${text.slice(0, 300)}`);
        }
        if (Date.now() > deadline) throw new Error(`lead ${i} never accepted`);
        await sleep(200); // the instance is being restarted: the visitor's page retries with the same key
      }
    };
    const CONCURRENCY = 8;
    for (let i = 0; i < o.leads; i += CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, o.leads - i) }, (_, k) => submit(i + k)));
      const next = i + CONCURRENCY;
      for (const at of expireAt) {
        if (i < at && next >= at) {
          // Every access token expires (the emulator's clock jumps 25 h): the next calls refresh the pair.
          await control('/_emulator/clock', { advanceMs: 25 * 3600_000 });
          count('tokens_expired');
        }
      }
      for (const at of killAt) {
        if (i < at && next >= at) {
          const victim = kills % instances;
          if (await rotationPending()) {
            killsWaitedForRotation++;
            const until = Date.now() + 15_000;
            while ((await rotationPending()) && Date.now() < until) await sleep(20);
          }
          servers[victim]!.proc.kill('SIGKILL');
          await servers[victim]!.exited;
          if (await rotationPending()) killsInsideRotation++;
          kills++;
          log(`chaos: SIGKILLed server ${victim} after ${next} leads`);
          if (instances === 1) await up(victim);
          else restarting.push(up(victim)); // the other instance keeps taking leads meanwhile
        }
      }
      await sleep(30 + random() * 60); // visitors do not all arrive at once
    }
    await Promise.all(restarting);
    // Make sure every instance is up before the calm phase.
    for (let i = 0; i < instances; i++) {
      while (!(await fetch(`http://127.0.0.1:${ports[i]}/health`).then((r) => (r.arrayBuffer(), r.status === 200), () => false))) {
        if (Date.now() > deadline) throw new Error(`server ${i} not healthy: ${servers[i]?.out()}`);
        await sleep(200);
      }
    }
    log(`chaos: ${acceptedIds.size} leads accepted after ${((Date.now() - started) / 1000).toFixed(1)} s; calming down`);
    chaosOn = false;
    await chaos;
    await fetch(`${emuUrl}/_emulator/faults`, { method: 'DELETE' });

    // --- wait for every accepted lead's deal
    type Lead = { id: number; custom_fields_values: { field_code?: string; values: { value: unknown }[] }[] | null };
    type Contact = { id: number; custom_fields_values: { field_code?: string; values: { value: unknown }[] }[] | null };
    let state: { leads: Lead[]; contacts: Contact[]; calls: Call[] };
    const markerOf = (l: Lead): string | undefined => l.custom_fields_values?.find((f) => f.field_code === 'LEADBRIDGE_ID')?.values[0]?.value as string | undefined;
    for (;;) {
      state = await json(await control('/_emulator/state'));
      const have = new Set(state.leads.map(markerOf));
      const left = [...acceptedIds].filter((id) => !have.has(id));
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`timed out with ${left.length} of ${acceptedIds.size} leads not delivered; server output:\n${servers.map((s) => s?.out()).join('\n---\n')}`);
      }
      await sleep(500);
    }
    // A deal existing is not enough: a lead whose send timed out after creating is still pending until its lookup
    // recovers the deal. Wait until the server says every accepted lead is delivered.
    const waiting = new Set(acceptedIds);
    while (waiting.size > 0) {
      for (const id of [...waiting]) {
        const res = await fetch(`http://127.0.0.1:${ports[0]}/api/leads/${id}`, { headers: { authorization: `Bearer ${adminToken}` } }).catch(() => undefined);
        const view = res ? await json<{ status?: string }>(res).catch(() => undefined) : undefined;
        if (view?.status === 'delivered') waiting.delete(id);
      }
      if (waiting.size === 0) break;
      if (Date.now() > deadline) throw new Error(`timed out with ${waiting.size} leads not marked delivered; server output:\n${servers.map((s) => s?.out()).join('\n---\n')}`);
      await sleep(500);
    }
    const deliveredAt = Date.now();
    // A short quiet period: nothing more should arrive (a duplicate sent late would show here).
    await sleep(1500);
    state = await json(await control('/_emulator/state'));

    for (const s of servers) s?.proc.kill('SIGTERM');
    await Promise.all(servers.map((s) => s?.exited));

    // --- lead statuses, from the database (the PGlite data dir is free again once the server stopped)
    const db = await openDb(o.postgresUrl && dbName ? { url: databaseUrl(o.postgresUrl, dbName) } : { dataDir: join(dir, 'data') });
    const notDelivered: Record<string, number> = {};
    let storedLeads = 0;
    try {
      const rows = await db.db.select({ status: leads.status, n: sql<number>`count(*)::int` }).from(leads).groupBy(leads.status);
      for (const r of rows) {
        storedLeads += Number(r.n);
        if (r.status !== 'delivered') notDelivered[r.status] = Number(r.n);
      }
    } finally {
      await db.close();
    }

    const byMarker = new Map<string, number>();
    for (const l of state.leads) {
      const m = markerOf(l);
      if (m) byMarker.set(m, (byMarker.get(m) ?? 0) + 1);
    }
    const missing = [...acceptedIds].filter((id) => !byMarker.has(id));
    const duplicated = [...byMarker].filter(([, n]) => n > 1).map(([id]) => id);
    const strayDeals = [...byMarker.keys()].filter((id) => !acceptedIds.has(id)).length;
    const persons = new Map<string, number>();
    for (const c of state.contacts) {
      const phones = new Set(
        (c.custom_fields_values ?? []).filter((f) => f.field_code === 'PHONE').flatMap((f) => f.values.map((v) => String(v.value).replace(/\D/g, '').slice(-10))),
      );
      for (const p of phones) persons.set(p, (persons.get(p) ?? 0) + 1);
    }
    const twinContacts = [...persons.values()].filter((n) => n > 1).length;
    const api = state.calls.filter((c) => c.path.startsWith('/api/v4'));
    const refreshes = state.calls.filter((c) => c.path === '/oauth2/access_token');
    const seconds = (deliveredAt - started) / 1000;
    return {
      accepted: acceptedIds.size,
      storedLeads,
      deals: state.leads.length,
      missing,
      duplicated,
      strayDeals,
      twinContacts,
      contacts: state.contacts.length,
      refreshes: refreshes.length,
      failedRefreshes: refreshes.filter((c) => c.status !== 200).length,
      notDelivered,
      apiCalls: api.length,
      maxPerSecond: maxPerSecond(api.map((c) => c.at)),
      injected,
      met: api.reduce<Record<string, number>>((m, c) => {
        const k = c.status === 0 ? 'none' : c.status === 429 ? '429' : `${Math.floor(c.status / 100)}xx`;
        m[k] = (m[k] ?? 0) + 1;
        return m;
      }, {}),
      kills,
      killsWaitedForRotation,
      killsInsideRotation,
      seconds,
      deliveredPerSecond: acceptedIds.size / seconds,
    };
  } finally {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    rmSync(dir, { recursive: true, force: true });
    if (dbName && o.postgresUrl) {
      const c = new pg.Client({ connectionString: o.postgresUrl });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    }
  }
}
