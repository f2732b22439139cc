// The WhatsApp module's queries: one function per statement, the db or transaction first.
import { and, eq, sql } from 'drizzle-orm';
import { whatsappContacts, whatsappMessages } from '../db/index.js';
import type { Tx } from '../db/index.js';

export interface ContactState {
  lastInboundAt: Date | null;
  optedOutAt: Date | null;
  undeliverableAt: Date | null;
}

export async function contactState(db: Tx, account: string, waId: string): Promise<ContactState | undefined> {
  const [row] = await db
    .select({ lastInboundAt: whatsappContacts.lastInboundAt, optedOutAt: whatsappContacts.optedOutAt, undeliverableAt: whatsappContacts.undeliverableAt })
    .from(whatsappContacts)
    .where(and(eq(whatsappContacts.account, account), eq(whatsappContacts.waId, waId)));
  return row;
}

export interface SentRow {
  account: string;
  messageId: string;
  phoneNumberId: string;
  to: string;
  waId: string;
  kind: 'template' | 'text';
  templateName: string | null;
  callbackData: string;
}

/** A status webhook may have come first (it creates the row): fill in what we sent, keep its status. */
export async function recordSent(db: Tx, row: SentRow): Promise<void> {
  await db
    .insert(whatsappMessages)
    .values({ ...row, status: 'accepted' })
    .onConflictDoUpdate({
      target: whatsappMessages.messageId,
      set: {
        account: row.account,
        phoneNumberId: row.phoneNumberId,
        to: row.to,
        waId: row.waId,
        kind: row.kind,
        templateName: row.templateName,
        callbackData: sql`coalesce(${whatsappMessages.callbackData}, excluded.callback_data)`,
        updatedAt: sql`now()`,
      },
    });
}

const RANK = sql`case ${whatsappMessages.status} when 'accepted' then 0 when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 when 'failed' then 4 else 0 end`;
const rankOf = (s: string): number => ({ accepted: 0, sent: 1, delivered: 2, read: 3, failed: 4 })[s] ?? 0;

export interface StatusUpdate {
  account: string;
  messageId: string;
  phoneNumberId: string | null;
  waId: string;
  callbackData: string | null;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: Date;
  errorCode: number | null;
  errorTitle: string | null;
}

/**
 * Records a status, never moving it backwards (statuses arrive out of order: `read` before `delivered`). `failed`
 * ranks above all. Returns the phone we sent to (E.164), when we have the row.
 */
export async function recordStatus(db: Tx, u: StatusUpdate): Promise<{ to: string | null; callbackData: string | null }> {
  const rows = await db
    .insert(whatsappMessages)
    .values({
      account: u.account,
      messageId: u.messageId,
      phoneNumberId: u.phoneNumberId,
      waId: u.waId,
      callbackData: u.callbackData,
      status: u.status,
      statusAt: u.at,
      errorCode: u.errorCode,
      errorTitle: u.errorTitle,
    })
    .onConflictDoUpdate({
      target: whatsappMessages.messageId,
      set: {
        status: sql`case when ${RANK} < ${rankOf(u.status)} then excluded.status else ${whatsappMessages.status} end`,
        statusAt: sql`case when ${RANK} < ${rankOf(u.status)} then excluded.status_at else ${whatsappMessages.statusAt} end`,
        errorCode: sql`coalesce(excluded.error_code, ${whatsappMessages.errorCode})`,
        errorTitle: sql`coalesce(excluded.error_title, ${whatsappMessages.errorTitle})`,
        callbackData: sql`coalesce(${whatsappMessages.callbackData}, excluded.callback_data)`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ to: whatsappMessages.to, callbackData: whatsappMessages.callbackData });
  return rows[0] ?? { to: null, callbackData: u.callbackData };
}

/** An inbound message: the window opens at its time (never moves back), the profile name is kept. */
export async function recordInbound(db: Tx, account: string, waId: string, at: Date, profileName: string | null, stop: boolean): Promise<void> {
  await db
    .insert(whatsappContacts)
    .values({ account, waId, lastInboundAt: at, profileName, optedOutAt: stop ? at : null })
    .onConflictDoUpdate({
      target: [whatsappContacts.account, whatsappContacts.waId],
      set: {
        lastInboundAt: sql`greatest(${whatsappContacts.lastInboundAt}, excluded.last_inbound_at)`,
        profileName: sql`coalesce(excluded.profile_name, ${whatsappContacts.profileName})`,
        ...(stop ? { optedOutAt: sql`coalesce(${whatsappContacts.optedOutAt}, excluded.opted_out_at)` } : {}),
        updatedAt: sql`now()`,
      },
    });
}

/** `user_preferences` stop / resume. */
export async function recordPreference(db: Tx, account: string, waId: string, at: Date, stop: boolean): Promise<void> {
  await db
    .insert(whatsappContacts)
    .values({ account, waId, optedOutAt: stop ? at : null })
    .onConflictDoUpdate({
      target: [whatsappContacts.account, whatsappContacts.waId],
      set: { optedOutAt: stop ? sql`coalesce(${whatsappContacts.optedOutAt}, excluded.opted_out_at)` : null, updatedAt: sql`now()` },
    });
}

/** A failed status with 131026: the number does not take WhatsApp messages from us. */
export async function markUndeliverable(db: Tx, account: string, waId: string, at: Date): Promise<void> {
  await db
    .insert(whatsappContacts)
    .values({ account, waId, undeliverableAt: at })
    .onConflictDoUpdate({
      target: [whatsappContacts.account, whatsappContacts.waId],
      set: { undeliverableAt: sql`coalesce(${whatsappContacts.undeliverableAt}, excluded.undeliverable_at)`, updatedAt: sql`now()` },
    });
}

/** The `to` / callback data we recorded for a wamid (context of an inbound reply). */
export async function sentMessage(db: Tx, messageId: string): Promise<{ to: string | null; callbackData: string | null } | undefined> {
  const [row] = await db.select({ to: whatsappMessages.to, callbackData: whatsappMessages.callbackData }).from(whatsappMessages).where(eq(whatsappMessages.messageId, messageId));
  return row;
}
