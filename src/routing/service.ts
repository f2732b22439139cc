// createRouting(): the I/O around the pure core. `route()` is what delivery calls per batch (the decision per
// lead, recorded, with the note line); `view()` feeds GET /api/leads/:id; the take-up job runs on the queue;
// `checks()` are the doctor's (every configured manager exists and is active in amoCRM).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter } from '../metrics.js';
import type { AmoClient, RequestOptions } from '../amocrm/index.js';
import type { Database, RoutingDecisionRow } from '../db/index.js';
import { eq } from 'drizzle-orm';
import { routingDecisions } from '../db/index.js';
import { openDealsByUser, syncedContactOwner, syncedDealOfLead } from '../webhooks/index.js';
import { createUserDirectory, findUser, statusOf, type UserDirectory } from './directory.js';
import { leadFacts, type LeadLike } from './match.js';
import { routingNoteLine, routingView, type RoutingView } from './note.js';
import { contactHashes, decideBatch, existingDecisions, localOwners, type RouteItem } from './store.js';
import { takeUpOnce, type SyncedDealLike, type TakeUpResult } from './take-up.js';
import type { ResolvedManager, RoutingConfig, Skipped } from './types.js';

export interface RoutableLead extends LeadLike {
  id: string;
  email: string | null;
}

export interface Routed {
  userId: number | null;
  /** The note line («Назначен: … по правилу …»). */
  note: string;
}

export interface RoutingDeps {
  db: Database;
  amo: AmoClient;
  config: RoutingConfig;
  account?: string;
  logger?: Logger;
  metrics?: Registry;
  now?: () => number;
  /** Open deals per manager, from the deals Leadbridge has synced (default: webhooks' openDealsByUser). */
  openDeals?: (userIds: number[]) => Promise<Map<number, number>>;
  /** The synced responsible user of an amoCRM contact (default: webhooks' syncedContactOwner); undefined = not synced. */
  contactOwner?: (amoContactId: number) => Promise<number | null | undefined>;
  /** The synced deal of one of our leads (default: webhooks' syncedDealOfLead), for the take-up deadline. */
  syncedDeal?: (leadId: string) => Promise<SyncedDealLike | null>;
  usersTtlMs?: number;
}

export interface DoctorCheckResult {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface Routing {
  /** True when the config has rules (otherwise leads keep the responsible user amoCRM gives them). */
  readonly enabled: boolean;
  readonly takeUpEnabled: boolean;
  route(leads: RoutableLead[], ctx?: { contactIds?: Map<string, number>; opts?: RequestOptions }): Promise<Map<string, Routed>>;
  view(leadId: string): Promise<RoutingView | null>;
  takeUpOnce(): Promise<TakeUpResult>;
  checks(): Promise<DoctorCheckResult[]>;
  managers(): Promise<Map<string, ResolvedManager>>;
}

function routingMetrics(registry: Registry | undefined) {
  if (!registry) return undefined;
  return {
    decisions: counter(registry, { name: 'leadbridge_routing_decisions_total', help: 'Routing decisions by rule, outcome (assigned/sticky/fallback/unassigned) and manager', labelNames: ['rule', 'outcome', 'manager'] }),
    skipped: counter(registry, { name: 'leadbridge_routing_skipped_total', help: 'Managers skipped while routing, by reason', labelNames: ['reason'] }),
    reassigned: counter(registry, { name: 'leadbridge_routing_reassigned_total', help: 'Deals reassigned after their take-up deadline, by rule', labelNames: ['rule'] }),
  };
}

export function createRouting(deps: RoutingDeps): Routing {
  const now = deps.now ?? Date.now;
  const account = deps.account ?? 'default';
  const log = deps.logger?.child({ module: 'routing' });
  const m = routingMetrics(deps.metrics);
  const cfg = deps.config;
  const openDeals = deps.openDeals ?? ((ids: number[]) => openDealsByUser(deps.db, account, ids));
  const contactOwner = deps.contactOwner ?? ((id: number) => syncedContactOwner(deps.db, account, id));
  const syncedDeal = deps.syncedDeal ?? ((leadId: string) => syncedDealOfLead(deps.db, account, leadId));
  const specs = Object.values(cfg.managers);
  const directory: UserDirectory = createUserDirectory({
    listUsers: async () => {
      const out = [];
      for await (const u of deps.amo.users.iterate({ limit: 250 })) out.push(u);
      return out;
    },
    now,
    ...(deps.usersTtlMs !== undefined ? { ttlMs: deps.usersTtlMs } : {}),
    onError: (err) => log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'amoCRM users could not be read; using the last known list'),
  });
  const managers = () => directory.resolve(specs);
  const anySticky = cfg.rules.some((r) => r.sticky);
  const anyLeastLoaded = cfg.rules.some((r) => r.strategy === 'least_loaded' || (r.fallback?.kind === 'pool' && r.fallback.strategy === 'least_loaded'));

  async function ownerOf(lead: RoutableLead, hashes: string[], local: Map<string, number>, contactId: number | undefined, opts?: RequestOptions): Promise<number | null> {
    for (const h of hashes) {
      const u = local.get(h);
      if (u !== undefined) return u;
    }
    if (contactId === undefined) return null;
    const synced = await contactOwner(contactId);
    if (synced !== undefined) return synced;
    // Known in amoCRM but never seen by Leadbridge: ask amoCRM once for its responsible user.
    const c = await deps.amo.contacts.get(contactId, undefined, opts);
    return c?.responsible_user_id ?? null;
  }

  return {
    enabled: cfg.rules.length > 0,
    takeUpEnabled: cfg.rules.some((r) => r.takeUpMinutes !== null),
    managers,
    async route(leads, ctx = {}) {
      const out = new Map<string, Routed>();
      if (cfg.rules.length === 0 || leads.length === 0) return out;
      const at = new Date(now());
      const known = await existingDecisions(deps.db, leads.map((l) => l.id));
      const fresh = leads.filter((l) => !known.has(l.id));
      let rows = known;
      if (fresh.length > 0) {
        const resolved = await managers();
        const hashes = new Map(fresh.map((l) => [l.id, contactHashes(l)]));
        const local = anySticky ? await localOwners(deps.db, account, [...hashes.values()].flat()) : new Map<string, number>();
        const items: RouteItem[] = [];
        for (const l of fresh) {
          const h = hashes.get(l.id) ?? [];
          const owner = anySticky ? await ownerOf(l, h, local, ctx.contactIds?.get(l.id), ctx.opts) : null;
          items.push({ leadId: l.id, facts: leadFacts(l), ownerUserId: owner, contactHashes: h });
        }
        const ids = [...resolved.values()].flatMap((x) => (x.userId !== null ? [x.userId] : []));
        const loads = anyLeastLoaded ? await openDeals(ids) : new Map<number, number>();
        rows = await decideBatch(deps.db, { account, config: cfg, managers: resolved, loads, now: at, items });
        for (const l of fresh) {
          const r = rows.get(l.id);
          if (!r) continue;
          m?.decisions.inc({ rule: r.rule ?? '(none)', outcome: r.outcome, manager: r.manager ?? '' });
          for (const s of r.skipped as Skipped[]) m?.skipped.inc({ reason: s.reason });
          log?.info({ lead: l.id, rule: r.rule, outcome: r.outcome, user: r.userId, skipped: (r.skipped as Skipped[]).map((s) => `${s.manager}:${s.reason}`) }, 'routed');
        }
        for (const [id, r] of known) rows.set(id, r);
      }
      for (const l of leads) {
        const r = rows.get(l.id);
        if (r) out.set(l.id, { userId: r.userId, note: routingNoteLine(r) });
      }
      return out;
    },
    async view(leadId) {
      const [r] = await deps.db.select().from(routingDecisions).where(eq(routingDecisions.leadId, leadId));
      return r ? routingView(r as RoutingDecisionRow) : null;
    },
    async takeUpOnce() {
      return takeUpOnce({
        db: deps.db,
        amo: deps.amo,
        account,
        config: cfg,
        now,
        managers,
        syncedDeal,
        onReassigned: (rule) => m?.reassigned.inc({ rule }),
        ...(log ? { log } : {}),
      });
    },
    async checks() {
      if (specs.length === 0) return [{ name: 'routing', ok: true, detail: 'no managers configured (amoCRM assigns the token user)' }];
      let users;
      try {
        users = await directory.users(true);
      } catch (e) {
        return [{ name: 'routing managers', ok: false, detail: `GET /api/v4/users failed: ${e instanceof Error ? e.message : String(e)}`, fix: 'connect with an amoCRM administrator account (the users list is admin-only)' }];
      }
      return specs.map((s) => {
        const u = findUser(users, s.ref);
        const name = `routing manager ${s.key}`;
        if (!u) return { name, ok: false, detail: `${typeof s.ref === 'number' ? `user #${s.ref}` : `"${s.ref}"`} is not an amoCRM user`, fix: 'fix the id, email or name in routing: (amoCRM → Settings → Users)' };
        const st = statusOf(u);
        if (st !== 'active') return { name, ok: false, detail: `${u.name} (#${u.id}) is ${st === 'free' ? 'a free (read-only) seat' : 'deactivated'} in amoCRM`, fix: 'activate the user in amoCRM or remove them from routing:' };
        return { name, ok: true, detail: `${u.name} (#${u.id}) active` };
      });
    },
  };
}
