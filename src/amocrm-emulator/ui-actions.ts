// What a manager does in amoCRM's UI (no API call from our side): create a deal, edit a contact, trash and restore a
// lead. Each records its events and fires the webhooks amoCRM would fire (fact sheet §7.12, §8.2–§8.4).
import type { ValidationErrorItem } from '../amocrm/types.js';
import type { EmuCtx } from './context.js';
import { checkContact, checkLead, createLead, patchContact } from './lead-write.js';
import type { ContactPatch, UiLeadInput } from './options.js';
import { fail } from './problems.js';
import { ADMIN_USER_ID } from './seed.js';
import type { LeadRec } from './state.js';
import type { Obj } from './validation.js';

const invalid = (errors: ValidationErrorItem[]) => fail(400, `Invalid input: ${errors.map((e) => `${e.code} ${e.path}`).join(', ')}`);

/** A deal created by a manager (created_by = that user): `lead_added` event + `add_lead` webhook. Returns the lead id. */
export function uiCreateLead(ctx: EmuCtx, input: UiLeadInput): number {
  const by = input.user_id ?? ADMIN_USER_ID;
  const item: Obj = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.price !== undefined ? { price: input.price } : {}),
    ...(input.pipeline_id !== undefined ? { pipeline_id: input.pipeline_id } : {}),
    ...(input.status_id !== undefined ? { status_id: input.status_id } : {}),
    ...(input.responsible_user_id !== undefined ? { responsible_user_id: input.responsible_user_id } : {}),
    ...(input.custom_fields_values !== undefined ? { custom_fields_values: input.custom_fields_values } : {}),
    ...(input.tags?.length ? { tags_to_add: input.tags.map((name) => ({ name })) } : {}),
    _embedded: {
      contacts: (input.contact_ids ?? []).map((id) => ({ id })),
      ...(input.company_id !== undefined ? { companies: [{ id: input.company_id }] } : {}),
    },
  };
  const errors: ValidationErrorItem[] = [];
  const plan = checkLead(ctx, item, '', errors);
  if (errors.length) throw invalid(errors);
  const r = createLead(ctx, plan, by);
  ctx.effects.leadAdded(r, by);
  return r.id;
}

function liveLead(ctx: EmuCtx, id: number, deleted: boolean): LeadRec {
  const l = ctx.store.leads.get(id);
  if (!l || l.is_deleted !== deleted) throw fail(404, deleted ? `Lead ${id} is not in the trash` : `Lead ${id} not found`);
  return l;
}

function setDeleted(ctx: EmuCtx, id: number, deleted: boolean, by: number): void {
  const before = liveLead(ctx, id, !deleted);
  const a = structuredClone(before);
  a.is_deleted = deleted;
  a.updated_at = ctx.nowSec();
  a.updated_by = by;
  ctx.store.leads.set(a.id, a);
  ctx.effects.leadChanged(before, a, by);
}

/** Trash a lead: `lead_deleted` event, `leads[delete]` webhook {id, status_id, pipeline_id}; GET answers 204 afterwards. */
export function uiDeleteLead(ctx: EmuCtx, id: number, by = ADMIN_USER_ID): void {
  setDeleted(ctx, id, true, by);
}

/** Restore a trashed lead: `lead_restored` event, `leads[restore]` webhook with the full lead. */
export function uiRestoreLead(ctx: EmuCtx, id: number, by = ADMIN_USER_ID): void {
  setDeleted(ctx, id, false, by);
}

/** Edit a contact (or company) in the card: events per changed field, `update_contact` (`update_company`) webhook. */
export function uiUpdateContact(ctx: EmuCtx, id: number, patch: ContactPatch, by = ADMIN_USER_ID): void {
  const before = ctx.store.contacts.get(id);
  if (!before || before.hidden || before.is_deleted) throw fail(404, `Contact ${id} not found`);
  const errors: ValidationErrorItem[] = [];
  const plan = checkContact(ctx, before.kind, { ...patch }, '', errors);
  if (errors.length) throw invalid(errors);
  patchContact(ctx, before, plan, by);
}
