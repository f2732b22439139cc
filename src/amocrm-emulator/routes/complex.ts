// POST /api/v4/leads/complex (fact sheet §7.2): lead + contact + company, bare-array answer, duplicate control, metadata → unsorted.
import type { FastifyInstance } from 'fastify';
import type { ComplexResultItem, ValidationErrorEntry } from '../../amocrm/types.js';
import { actor, type EmuCtx } from '../context.js';
import { checkContact, checkLead, createContact, createLead, linkContactCompany, patchLead, type ContactPlan, type LeadPlan } from '../lead-write.js';
import { tooMany } from '../problems.js';
import { sendHal } from '../hal.js';
import { mainPipeline, nextId, unsortedStage, type ContactRec } from '../state.js';
import { batchItems, err, isInt, isObj, throwIfErrors, type Obj } from '../validation.js';
import { createUnsortedRecord } from './unsorted.js';

interface ComplexPlan {
  lead: LeadPlan;
  contact?: { id: number } | ContactPlan;
  company?: { id: number } | ContactPlan;
  metadata?: Obj;
  requestId: string;
}

const norm = (s: string): string => (s.includes('@') ? s.trim().toLowerCase() : s.replace(/\D/g, '').replace(/^8(\d{10})$/, '7$1'));

function keysOf(cfv: ContactRec['cfv']): string[] {
  return cfv.filter((f) => f.field_code === 'PHONE' || f.field_code === 'EMAIL').flatMap((f) => f.values.map((v) => norm(String(v.value)))).filter((k) => k.length > 0);
}

export function complexRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v4/leads/complex', async (req, reply) => {
      if (Array.isArray(req.body) && req.body.length > 50) throw tooMany(50);
      const items = batchItems(req.body, 50);
      const plans: ComplexPlan[] = [];
      const entries: ValidationErrorEntry[] = items.map(({ item, requestId }) => {
        const errors: ValidationErrorEntry['errors'] = [];
        const emb = isObj(item._embedded) ? item._embedded : {};
        const plan: ComplexPlan = { lead: checkLead(ctx, { ...item, _embedded: { ...(emb.tags !== undefined ? { tags: emb.tags } : {}) } }, '', errors), requestId };
        for (const [k, kind] of [['contacts', 'contact'], ['companies', 'company']] as const) {
          const list = emb[k];
          if (list === undefined) continue;
          if (!Array.isArray(list)) {
            errors.push(err('InvalidType', `_embedded.${k}`));
            continue;
          }
          if (list.length > 1) errors.push(err('Length', `_embedded.${k}`, 'This collection should contain 1 element or less.'));
          const c = list[0];
          if (!isObj(c)) continue;
          let sub: { id: number } | ContactPlan;
          if (isInt(c.id)) {
            const rec = ctx.store.contacts.get(c.id);
            if (!rec || rec.kind !== kind) errors.push(err('NotFound', `_embedded.${k}.0.id`));
            sub = { id: c.id };
          } else sub = checkContact(ctx, kind, c, `_embedded.${k}.0.`, errors);
          if (kind === 'contact') plan.contact = sub;
          else plan.company = sub;
        }
        if (emb.metadata !== undefined) {
          if (!isObj(emb.metadata) || (emb.metadata.category !== 'forms' && emb.metadata.category !== 'sip')) errors.push(err('NotSupportedChoice', '_embedded.metadata.category'));
          else plan.metadata = emb.metadata;
        }
        plans.push(plan);
        return { request_id: requestId, errors };
      });
      throwIfErrors(entries);

      const by = actor(req);
      // Duplicate control looks only at contacts that existed before this request (it never dedupes inside one request).
      const index = new Map<string, number>();
      if (ctx.opts.duplicateControl) {
        for (const c of ctx.store.contacts.values()) if (c.kind === 'contact' && !c.is_deleted) for (const k of keysOf(c.cfv)) if (!index.has(k)) index.set(k, c.id);
      }
      const results: ComplexResultItem[] = [];
      for (const plan of plans) {
        let contactId: number | null = null;
        let companyId: number | null = null;
        let dupOf: number | undefined;
        if (plan.contact && 'item' in plan.contact && ctx.opts.duplicateControl) {
          const probe = createProbe(ctx, plan.contact);
          dupOf = probe.map((k) => index.get(k)).find((x) => x !== undefined);
        }
        const hidden = plan.metadata !== undefined;
        if (plan.contact) contactId = dupOf ?? ('item' in plan.contact ? createContact(ctx, 'contact', plan.contact, by, hidden).id : plan.contact.id);
        if (plan.company) companyId = 'item' in plan.company ? createContact(ctx, 'company', plan.company, by, hidden).id : plan.company.id;
        if (contactId !== null && companyId !== null) linkContactCompany(ctx, contactId, companyId);

        if (dupOf !== undefined && !hidden) {
          const open = [...ctx.store.leads.values()].find((l) => !l.is_deleted && l.status_id !== 142 && l.status_id !== 143 && l.contacts.some((c) => c.id === dupOf));
          if (open) {
            const merged = patchLead(ctx, open, { ...plan.lead, pipeline: undefined, statusId: undefined, item: { ...plan.lead.item, name: undefined, status_id: undefined, pipeline_id: undefined } }, by);
            const prev = results.find((r) => r.id === merged.id && r.merged);
            if (prev) prev.request_id.push(plan.requestId);
            else results.push({ id: merged.id, contact_id: contactId, company_id: companyId, request_id: [plan.requestId], merged: true });
            continue;
          }
        }
        const pipeline = plan.lead.pipeline ?? mainPipeline(ctx.store);
        const uns = hidden ? unsortedStage(pipeline) : undefined;
        const lead = createLead(ctx, plan.lead, by, uns ? { pipelineId: pipeline.id, statusId: uns.id } : undefined);
        if (contactId !== null) lead.contacts = [{ id: contactId, is_main: true }];
        if (companyId !== null) lead.companies = [companyId];
        if (hidden && plan.metadata) {
          lead.hidden = true;
          createUnsortedRecord(ctx, {
            uid: `emu${nextId(ctx.store, 'unsorted').toString(16).padStart(12, '0')}`,
            category: plan.metadata.category === 'sip' ? 'sip' : 'forms',
            sourceUid: 'complex',
            sourceName: typeof plan.metadata.form_name === 'string' ? plan.metadata.form_name : 'API',
            pipelineId: pipeline.id,
            metadata: plan.metadata,
            requestId: plan.requestId,
            leads: [lead.id],
            contacts: contactId !== null ? [contactId] : [],
            companies: companyId !== null ? [companyId] : [],
          });
        } else ctx.effects.leadAdded(lead, by);
        results.push({ id: lead.id, contact_id: contactId, company_id: companyId, request_id: [plan.requestId], merged: false });
      }
      return sendHal(reply, results);
    });
  };
}

function createProbe(ctx: EmuCtx, plan: ContactPlan): string[] {
  const vals = [...plan.cfv.values()].filter((v): v is NonNullable<typeof v> => v !== null);
  void ctx;
  return keysOf(vals);
}
