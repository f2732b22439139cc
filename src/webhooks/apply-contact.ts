// Applies a contact/company observation to amo_contacts (same "newer wins" rule as deals).
import { and, eq } from 'drizzle-orm';
import { amoContacts, type AmoFieldValue } from '../db/index.js';
import { emit } from '../events/index.js';
import { toDate, toUnix, type Tx } from './tx.js';
import type { ContactObservation } from './types.js';

/** Applies `o` to the contact of `account` (amoCRM contact ids are unique only within an account). */
export async function applyContactObservation(tx: Tx, account: string, o: ContactObservation): Promise<boolean> {
  const key = and(eq(amoContacts.account, account), eq(amoContacts.amoContactId, o.amoContactId));
  const [row] = await tx.select().from(amoContacts).where(key).for('update').limit(1);
  if (o.action === 'delete') {
    if (row?.isDeleted) return false;
    if (row?.amoUpdatedAt && toUnix(row.amoUpdatedAt) > o.at) return false;
    if (row) await tx.update(amoContacts).set({ isDeleted: true, updatedAt: new Date() }).where(key);
    else await tx.insert(amoContacts).values({ account, amoContactId: o.amoContactId, kind: o.kind, isDeleted: true });
    await emit(tx, [{ account, type: 'contact.deleted', occurredAt: toDate(o.at), payload: { amo_contact_id: o.amoContactId, kind: o.kind } }]);
    return true;
  }
  if (row?.amoUpdatedAt && toUnix(row.amoUpdatedAt) > o.at) return false;
  const customFields: Record<string, AmoFieldValue> = { ...(row?.customFields ?? {}) };
  for (const f of o.customFields ?? []) customFields[String(f.id)] = f;
  const next = {
    account,
    amoContactId: o.amoContactId,
    kind: o.kind,
    name: o.name ?? row?.name ?? null,
    responsibleUserId: o.responsibleUserId ?? row?.responsibleUserId ?? null,
    customFields,
    leadIds: o.leadIds ?? row?.leadIds ?? [],
    isDeleted: false,
    amoUpdatedAt: toDate(o.at),
    updatedAt: new Date(),
  };
  if (row) await tx.update(amoContacts).set(next).where(key);
  else await tx.insert(amoContacts).values(next);
  await emit(tx, [
    {
      account,
      type: 'contact.changed',
      occurredAt: toDate(o.at),
      // phones/emails: what delivery's contact index needs (the values of the PHONE/EMAIL fields now known).
      payload: { amo_contact_id: o.amoContactId, kind: o.kind, action: o.action, lead_ids: next.leadIds, phones: valuesOf(customFields, 'PHONE'), emails: valuesOf(customFields, 'EMAIL') },
    },
  ]);
  return true;
}

function valuesOf(fields: Record<string, AmoFieldValue>, code: string): string[] {
  return Object.values(fields)
    .filter((f) => f.code === code)
    .flatMap((f) => f.values.map((v) => v.value))
    .filter((v): v is string | number => (typeof v === 'string' && v !== '') || typeof v === 'number')
    .map(String);
}
