// The control surface: EmulatorControl (in-process) and the same under /_emulator/* over HTTP.
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { EmuCtx } from './context.js';
import type { FaultTable } from './faults.js';
import type { ContactPatch, EmulatorControl, FaultSpec, LeadPatch, UiLeadInput } from './options.js';
import { fail } from './problems.js';
import type { RateLimiter } from './rate-limit.js';
import { deleteFieldValues } from './routes/custom-fields.js';
import { ADMIN_USER_ID, MANAGER_USER_ID } from './seed.js';
import { toCompany, toContact, toLead, toPipeline } from './serialize.js';
import { createStore } from './state.js';
import { uiCreateLead, uiDeleteLead, uiRestoreLead, uiUpdateContact } from './ui-actions.js';
import { applyCfv, isInt, isObj, parseCfv } from './validation.js';
import type { WebhookSender } from './webhook-sender.js';

interface ControlDeps {
  ctx: EmuCtx;
  faults: FaultTable;
  limiter: RateLimiter | undefined;
  sender: WebhookSender;
  advance: (ms: number) => void;
  resetClock: () => void;
}

export function createControl(d: ControlDeps): { api: EmulatorControl; routes: (app: FastifyInstance) => Promise<void> } {
  const { ctx } = d;
  const base = (): string => `https://${ctx.config.domain}`;
  const lead = (id: number) => {
    const l = ctx.store.leads.get(id);
    if (!l || l.is_deleted) throw fail(404, `Lead ${id} not found`);
    return l;
  };

  const api: EmulatorControl = {
    reset() {
      d.sender.reset();
      d.faults.clear();
      d.limiter?.reset();
      d.resetClock();
      ctx.tokens.reset();
      ctx.store = createStore(ctx.config.accountId, ctx.nowSec());
    },
    advanceClock(ms) {
      d.advance(ms);
      d.sender.checkDue();
    },
    addFault: (f: FaultSpec) => d.faults.add(f),
    clearFaults: () => d.faults.clear(),
    async issueTokens(opts = {}) {
      const admin = opts.admin ?? true;
      return ctx.tokens.issuePair(opts.userId ?? (admin ? ADMIN_USER_ID : MANAGER_USER_ID), admin);
    },
    async issueLongLivedToken(opts = {}) {
      const admin = opts.admin ?? true;
      return ctx.tokens.issueLongLived(opts.ttlSec ?? 365 * 24 * 3600, admin ? ADMIN_USER_ID : MANAGER_USER_ID, admin);
    },
    revokeAll: () => ctx.tokens.revokeAll(),
    moveLead(leadId, pipelineId, statusId, opts = {}) {
      const before = lead(leadId);
      const p = ctx.store.pipelines.get(pipelineId);
      if (!p || !p.statuses.some((s) => s.id === statusId)) throw fail(400, 'Unknown pipeline/status');
      const a = structuredClone(before);
      a.pipeline_id = pipelineId;
      a.status_id = statusId;
      a.closed_at = statusId === 142 || statusId === 143 ? ctx.nowSec() : null;
      a.updated_at = ctx.nowSec();
      a.updated_by = opts.userId ?? ADMIN_USER_ID;
      ctx.store.leads.set(a.id, a);
      ctx.effects.leadChanged(before, a, a.updated_by);
    },
    updateLead(leadId, patch: LeadPatch, opts = {}) {
      const before = lead(leadId);
      const errors: { code: string; path: string; detail: string }[] = [];
      const cfv = parseCfv(ctx.store, 'leads', patch.custom_fields_values, '', errors);
      if (errors.length) throw fail(400, `Invalid patch: ${errors.map((e) => `${e.code} ${e.path}`).join(', ')}`);
      const a = structuredClone(before);
      if (typeof patch.name === 'string') a.name = patch.name;
      if (isInt(patch.price)) a.price = patch.price;
      if (isInt(patch.responsible_user_id)) a.responsible_user_id = patch.responsible_user_id;
      a.cfv = applyCfv(a.cfv, cfv);
      a.updated_at = ctx.nowSec();
      a.updated_by = opts.userId ?? ADMIN_USER_ID;
      ctx.store.leads.set(a.id, a);
      ctx.effects.leadChanged(before, a, a.updated_by);
    },
    createLeadInUi: (input: UiLeadInput = {}) => uiCreateLead(ctx, input),
    deleteLead: (leadId, opts = {}) => uiDeleteLead(ctx, leadId, opts.userId),
    restoreLead: (leadId, opts = {}) => uiRestoreLead(ctx, leadId, opts.userId),
    updateContact: (contactId, patch: ContactPatch, opts = {}) => uiUpdateContact(ctx, contactId, patch, opts.userId),
    deleteField(entity, fieldId) {
      const f = ctx.store.fields.get(fieldId);
      if (!f || f.entity_type !== entity) throw fail(404, 'Custom field not found');
      deleteFieldValues(ctx, fieldId);
    },
    setWebhookDisabled(destination, disabled) {
      const w = ctx.store.webhooks.find((x) => x.destination === destination);
      if (!w) throw fail(404, 'Webhook not found');
      w.disabled = disabled;
    },
    setPaymentRequired(on) {
      ctx.store.paymentRequired = on;
    },
    dropNextWebhooks: (n) => d.sender.dropNext(n),
    tokenCalls: () => ctx.tokens.calls,
    flushWebhooks: () => d.sender.flush(),
    async callDisableHook(url) {
      const { clientId, clientSecret, accountId } = ctx.config;
      const signature = createHmac('sha256', clientSecret).update(`${clientId}|${accountId}`).digest('hex');
      const u = new URL(url);
      u.searchParams.set('client_uuid', clientId);
      u.searchParams.set('account_id', String(accountId));
      u.searchParams.set('signature', signature);
      const res = await fetch(u, { headers: { 'user-agent': 'amoService-oAuth-Code-Sender/1.0' }, signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    },
    state() {
      const s = ctx.store;
      const b = base();
      const people = [...s.contacts.values()];
      return {
        account: { id: ctx.config.accountId, subdomain: ctx.config.subdomain, domain: ctx.config.domain },
        clock: ctx.nowMs(),
        payment_required: s.paymentRequired,
        token_calls: ctx.tokens.calls,
        rotation_pending: ctx.tokens.rotationPending(),
        leads: [...s.leads.values()].map((l) => ({ ...toLead(s, b, l, ['contacts']), is_unsorted: l.hidden })),
        contacts: people.filter((c) => c.kind === 'contact').map((c) => toContact(s, b, c, ['leads'])),
        companies: people.filter((c) => c.kind === 'company').map((c) => ({ ...toCompany(s, b, c, ['contacts', 'leads']), is_unsorted: c.hidden })),
        pipelines: [...s.pipelines.values()].map((p) => toPipeline(s, b, p)),
        custom_fields: [...s.fields.values()],
        notes: [...s.notes.values()],
        tasks: [...s.tasks.values()],
        tags: { leads: [...s.tags.leads.values()], contacts: [...s.tags.contacts.values()], companies: [...s.tags.companies.values()] },
        users: s.users,
        events: s.events,
        unsorted: [...s.unsorted.values()].map(({ dupKey: _k, ...u }) => u),
        webhooks: { subscriptions: s.webhooks, deliveries: s.deliveries },
        calls: s.calls,
      };
    },
  };

  const routes = async (app: FastifyInstance): Promise<void> => {
    const body = (b: unknown): Record<string, unknown> => (isObj(b) ? b : {});
    const ok = { ok: true };
    app.get('/_emulator/health', async () => ({ ok: true, account_id: ctx.config.accountId, subdomain: ctx.config.subdomain }));
    app.get('/_emulator/state', async () => api.state());
    app.get('/_emulator/tokens/rotation', async () => ({ pending: ctx.tokens.rotationPending(), token_calls: ctx.tokens.calls }));
    app.post('/_emulator/reset', async () => (api.reset(), ok));
    app.post('/_emulator/clock', async (req) => {
      const ms = Number(body(req.body).advanceMs);
      if (!Number.isFinite(ms)) throw fail(400, 'advanceMs required');
      api.advanceClock(ms);
      return { ok: true, now: ctx.nowMs() };
    });
    app.post('/_emulator/faults', async (req) => {
      const b = body(req.body);
      const list = Array.isArray(req.body) ? req.body : [b];
      for (const f of list) {
        if (!isObj(f) || typeof f.path !== 'string') throw fail(400, 'path required');
        api.addFault(f as unknown as FaultSpec);
      }
      return ok;
    });
    app.delete('/_emulator/faults', async () => (api.clearFaults(), ok));
    app.post('/_emulator/tokens', async (req) => {
      const b = body(req.body);
      return api.issueTokens({ ...(typeof b.admin === 'boolean' ? { admin: b.admin } : {}), ...(isInt(b.userId) ? { userId: b.userId } : {}) });
    });
    app.post('/_emulator/long-lived-token', async (req) => {
      const b = body(req.body);
      return api.issueLongLivedToken({ ...(isInt(b.ttlSec) ? { ttlSec: b.ttlSec } : {}), ...(typeof b.admin === 'boolean' ? { admin: b.admin } : {}) });
    });
    app.post('/_emulator/revoke-all', async () => (api.revokeAll(), ok));
    app.post('/_emulator/leads/:id/move', async (req) => {
      const b = body(req.body);
      api.moveLead(Number((req.params as { id: string }).id), Number(b.pipeline_id), Number(b.status_id), isInt(b.user_id) ? { userId: b.user_id } : {});
      return ok;
    });
    const idOf = (req: { params: unknown }): number => Number((req.params as { id: string }).id);
    const userOf = (b: Record<string, unknown>) => (isInt(b.user_id) ? { userId: b.user_id } : {});
    app.patch('/_emulator/leads/:id', async (req) => (api.updateLead(idOf(req), body(req.body) as LeadPatch, userOf(body(req.body))), ok));
    app.post('/_emulator/leads', async (req) => ({ id: api.createLeadInUi(body(req.body) as UiLeadInput) }));
    app.post('/_emulator/leads/:id/delete', async (req) => (api.deleteLead(idOf(req), userOf(body(req.body))), ok));
    app.post('/_emulator/leads/:id/restore', async (req) => (api.restoreLead(idOf(req), userOf(body(req.body))), ok));
    app.patch('/_emulator/contacts/:id', async (req) => (api.updateContact(idOf(req), body(req.body) as ContactPatch, userOf(body(req.body))), ok));
    app.post('/_emulator/payment-required', async (req) => (api.setPaymentRequired(body(req.body).on === true), ok));
    app.post('/_emulator/webhooks/drop', async (req) => (api.dropNextWebhooks(Number(body(req.body).count ?? 1)), ok));
    app.post('/_emulator/webhooks/disabled', async (req) => {
      const b = body(req.body);
      api.setWebhookDisabled(String(b.destination), b.disabled === true);
      return ok;
    });
    app.post('/_emulator/disable-hook', async (req) => ({ status: await api.callDisableHook(String(body(req.body).url)) }));
    app.post('/_emulator/webhooks/flush', async () => (await api.flushWebhooks(), ok));
    app.delete('/_emulator/fields/:entity/:id', async (req) => {
      const p = req.params as { entity: 'leads' | 'contacts' | 'companies'; id: string };
      api.deleteField(p.entity, Number(p.id));
      return ok;
    });
  };
  return { api, routes };
}
