// Applies a contact/company observation to a contact of an ApplyState (same "newer wins" rule as deals).
import type { AmoContactRow, AmoFieldValue } from '../db/index.js';
import type { ApplyState } from './apply-state.js';
import { toDate, toUnix } from './tx.js';
import type { ContactObservation } from './types.js';

/** Applies `o` to `state`, which holds the contact `o.amoContactId` (ApplyState.load); false when nothing changed. */
export function applyContact(state: ApplyState, o: ContactObservation): boolean {
  const row = state.contact(o.amoContactId);
  const now = new Date();
  if (o.action === 'delete') {
    if (row?.isDeleted) return false;
    if (row?.amoUpdatedAt && toUnix(row.amoUpdatedAt) > o.at) return false;
    state.putContact(row ? { ...row, isDeleted: true, updatedAt: now } : { ...emptyContact(state.account, o), isDeleted: true });
    state.emit([{ type: 'contact.deleted', occurredAt: toDate(o.at), payload: { amo_contact_id: o.amoContactId, kind: o.kind } }]);
    return true;
  }
  if (row?.amoUpdatedAt && toUnix(row.amoUpdatedAt) > o.at) return false;
  const customFields: Record<string, AmoFieldValue> = { ...(row?.customFields ?? {}) };
  for (const f of o.customFields ?? []) customFields[String(f.id)] = f;
  const next: AmoContactRow = {
    account: state.account,
    amoContactId: o.amoContactId,
    kind: o.kind,
    name: o.name ?? row?.name ?? null,
    responsibleUserId: o.responsibleUserId ?? row?.responsibleUserId ?? null,
    customFields,
    leadIds: o.leadIds ?? row?.leadIds ?? [],
    isDeleted: false,
    amoUpdatedAt: toDate(o.at),
    createdAt: row?.createdAt ?? now,
    updatedAt: now,
  };
  state.putContact(next);
  state.emit([
    {
      type: 'contact.changed',
      occurredAt: toDate(o.at),
      // phones/emails: what delivery's contact index needs (the values of the PHONE/EMAIL fields now known).
      payload: { amo_contact_id: o.amoContactId, kind: o.kind, action: o.action, lead_ids: next.leadIds, phones: valuesOf(customFields, 'PHONE'), emails: valuesOf(customFields, 'EMAIL') },
    },
  ]);
  return true;
}

/** A contact row as the table's defaults make it. */
function emptyContact(account: string, o: ContactObservation): AmoContactRow {
  const now = new Date();
  return { account, amoContactId: o.amoContactId, kind: o.kind, name: null, responsibleUserId: null, customFields: {}, leadIds: [], isDeleted: false, amoUpdatedAt: null, createdAt: now, updatedAt: now };
}

function valuesOf(fields: Record<string, AmoFieldValue>, code: string): string[] {
  return Object.values(fields)
    .filter((f) => f.code === code)
    .flatMap((f) => f.values.map((v) => v.value))
    .filter((v): v is string | number => (typeof v === 'string' && v !== '') || typeof v === 'number')
    .map(String);
}
