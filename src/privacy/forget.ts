// Forget a person (`leadbridge forget`, POST /api/admin/forget): erase their personal data from every table while
// the rows that analytics counts stay (a lead keeps its form, status, times and UTM; only who it was goes).
// One transaction: the person's rows by what links them (their leads, contact ids, enrolments), then a sweep of
// every text/jsonb column of every table for the phone and email in any spelling we store (E.164, digits, the
// national number inside +7…/8…, URL-encoded). The consent record stays as evidence, without the IP.
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/index.js';
import { rowsOf } from '../db/index.js';
import { emit } from '../events/index.js';
import { normalisePhone } from '../intake/index.js';
import type { Tx } from '../db/index.js';
import { AppError } from '../errors.js';

export class PrivacyError extends AppError {
  constructor(
    code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(code, message);
  }
}

export interface ForgetRequest {
  phone?: string;
  email?: string;
}

export interface ForgetResult {
  /** Leads of the person (kept, anonymised). */
  leads: number;
  /** Rows changed or deleted per table (only tables with at least one). */
  tables: Record<string, number>;
}

export interface ForgetDeps {
  db: Database;
  defaultCountry: CountryCode;
  account?: string;
  now?: () => Date;
}

type Row = Record<string, unknown>;

const ERASED = '[erased]';
const EMAIL = /^[^\s@]+@[^\s@]+$/;

async function rows(tx: Tx, q: ReturnType<typeof sql>): Promise<Row[]> {
  return rowsOf<Row>((await tx.execute(q)));
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The spellings of the person's identifiers that may sit in stored text, longest first. */
export function personVariants(req: ForgetRequest, defaultCountry: CountryCode): { phone?: string; email?: string; variants: string[] } {
  const out: { phone?: string; email?: string; variants: string[] } = { variants: [] };
  if (req.phone !== undefined && req.phone.trim() !== '') {
    const phone = normalisePhone(req.phone, defaultCountry);
    if (!phone) throw new PrivacyError('PHONE_INVALID', 422, 'phone is not a valid number');
    out.phone = phone;
    const digits = phone.slice(1);
    out.variants.push(phone, digits);
    const national = parsePhoneNumberFromString(phone)?.nationalNumber;
    // The national number is inside "+7 912…", "8912…" and "7912…" alike; too short a one would match ids.
    if (national && national.length >= 7) out.variants.push(national);
  }
  if (req.email !== undefined && req.email.trim() !== '') {
    const email = req.email.trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 254) throw new PrivacyError('EMAIL_INVALID', 422, 'email is not a valid address');
    out.email = email;
    out.variants.push(email, encodeURIComponent(email));
  }
  if (!out.phone && !out.email) throw new PrivacyError('PERSON_REQUIRED', 422, 'give a phone or an email');
  out.variants = [...new Set(out.variants)].sort((a, b) => b.length - a.length);
  return out;
}

/** Replaces every match in strings (and numbers that spell one) of a JSON value. */
function scrubJson(v: unknown, re: RegExp): unknown {
  if (typeof v === 'string') return v.replace(re, ERASED);
  if (typeof v === 'number') return new RegExp(re.source, 'i').test(String(v)) ? ERASED : v;
  if (Array.isArray(v)) return v.map((x) => scrubJson(x, re));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k.replace(re, ERASED)] = scrubJson(x, re);
    return out;
  }
  return v;
}

/**
 * Every text/json column of every table outside the system schemas: the rows whose value matches are rewritten
 * (text: the match replaced; json: each string; a unique column: a hash of the value, so keys stay distinct).
 */
async function sweep(tx: Tx, pattern: string, re: RegExp, touched: (table: string, key: string) => void): Promise<void> {
  const cols = await rows(
    tx,
    sql`select c.table_schema as s, c.table_name as t, c.column_name as c, c.data_type as ty,
          exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                  where i.indrelid = format('%I.%I', c.table_schema, c.table_name)::regclass and i.indisunique and a.attname = c.column_name) as uq
        from information_schema.columns c join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
        where tb.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema', 'drizzle')
          -- plain tables and partitions only: a partitioned parent's ctid is not unique across its partitions
          and (select relkind from pg_class where oid = format('%I.%I', c.table_schema, c.table_name)::regclass) = 'r'
          and c.data_type in ('text', 'character varying', 'jsonb', 'json')
        order by 1, 2, 3`,
  );
  // Each table's primary key (to count rows, not columns): its columns as text, else the ctid.
  const pks = new Map<string, string[]>();
  for (const r of await rows(
    tx,
    sql`select n.nspname as s, c.relname as t, array_agg(a.attname::text order by a.attnum) as cols
        from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indisprimary and n.nspname not in ('pg_catalog', 'information_schema') group by 1, 2`,
  )) {
    const cols = Array.isArray(r.cols) ? r.cols.map(String) : String(r.cols).replace(/[{}]/g, '').split(',');
    pks.set(`${String(r.s)}.${String(r.t)}`, cols);
  }
  for (const col of cols) {
    const s = String(col.s);
    const t = String(col.t);
    const c = String(col.c);
    const json = col.ty === 'jsonb' || col.ty === 'json';
    const target = sql`${sql.identifier(s)}.${sql.identifier(t)}`;
    const pk = pks.get(`${s}.${t}`);
    const key = pk ? sql.join(pk.map((k) => sql`${sql.identifier(k)}::text`), sql` || '|' || `) : sql`ctid::text`;
    const matched = await rows(
      tx,
      sql`select ctid::text as id, ${key} as k, ${sql.identifier(c)}::text as v from ${target} where ${sql.identifier(c)}::text ~* ${pattern}`,
    );
    for (const m of matched) {
      const old = String(m.v);
      let next: string;
      if (json) next = JSON.stringify(scrubJson(JSON.parse(old), re));
      else if (col.uq) next = `erased:${createHash('sha256').update(old).digest('hex').slice(0, 24)}`;
      else next = old.replace(re, ERASED);
      const value = json ? sql`${next}::${sql.raw(String(col.ty))}` : sql`${next}`;
      await tx.execute(sql`update ${target} set ${sql.identifier(c)} = ${value} where ctid = ${String(m.id)}::tid`);
      touched(s === 'public' ? t : `${s}.${t}`, String(m.k));
    }
  }
}

/** `array[…]::text[]` of the values (an empty array when none). */
function textArray(values: readonly string[]): ReturnType<typeof sql> {
  return values.length === 0 ? sql`'{}'::text[]` : sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;
}

function phoneVariants(phone: string): string[] {
  const out = [phone, phone.slice(1)];
  const national = parsePhoneNumberFromString(phone)?.nationalNumber;
  if (national && national.length >= 7) out.push(national);
  return out;
}

export async function forgetPerson(deps: ForgetDeps, req: ForgetRequest): Promise<ForgetResult> {
  const asked = personVariants(req, deps.defaultCountry);
  const account = deps.account ?? 'default';
  const now = deps.now?.() ?? new Date();

  return deps.db.transaction(async (tx) => {
    // Rows changed or deleted per table, by primary key (a row the sweep rewrites again counts once).
    const seen = new Map<string, Set<string>>();
    const touched = (table: string, key: string) => {
      const set = seen.get(table) ?? new Set<string>();
      set.add(key);
      seen.set(table, set);
    };
    const add = (table: string, keys: Row[]) => {
      for (const k of keys) touched(table, String(Object.values(k)[0]));
    };
    // The person's leads, and through them their other identifiers (forgetting by email also forgets the phone
    // they left with it): repeated until no new phone or email turns up.
    const phoneSet = new Set<string>(asked.phone ? [asked.phone] : []);
    const emailSet = new Set<string>(asked.email ? [asked.email] : []);
    let leads: Row[] = [];
    for (let round = 0; round < 5; round++) {
      leads = await rows(
        tx,
        sql`select id::text as id, name, phone, lower(email) as email, account, amo_lead_id, amo_contact_id from leads
            where phone = any(${textArray([...phoneSet])}) or lower(email) = any(${textArray([...emailSet])}) for update`,
      );
      const size = phoneSet.size + emailSet.size;
      for (const l of leads) {
        if (typeof l.phone === 'string' && l.phone) phoneSet.add(l.phone);
        if (typeof l.email === 'string' && l.email) emailSet.add(l.email);
      }
      if (phoneSet.size + emailSet.size === size) break;
    }
    const phones = [...phoneSet];
    const emails = [...emailSet];
    const digitList = phones.map((p) => p.slice(1));
    const variants = [...new Set([...phones.flatMap(phoneVariants), ...emails.flatMap((e) => [e, encodeURIComponent(e)])])].sort((a, b) => b.length - a.length);
    const pattern = variants.map(escapeRegex).join('|');
    const hashes = [...phones.map((p) => `phone:${p}`), ...emails.map((e) => `email:${e}`)].map((k) => createHash('sha256').update(k).digest('hex'));
    const phoneArr = textArray(phones);
    const emailArr = textArray(emails);
    const digitArr = textArray(digitList);
    const indexKeys = textArray([...phones.map((p) => `phone:${p}`), ...emails.map((e) => `email:${e}`)]);
    const ids = leads.map((l) => String(l.id));
    // amoCRM ids are unique only within an account: each lead's contact and deal are looked up in its own account
    // (the person's phone and email keys leave the contact index of every account).
    const withContact = leads.filter((l) => l.amo_contact_id !== null);
    const withDeal = leads.filter((l) => l.amo_lead_id !== null);
    const pairs = (list: Row[], col: string) =>
      sql`(select a, i from unnest(${textArray(list.map((l) => String(l.account)))}, ${`{${list.map((l) => Number(l[col])).join(',')}}`}::bigint[]) as u(a, i))`;
    const names = [...new Set(leads.map((l) => (typeof l.name === 'string' ? l.name.trim() : '')).filter((n) => n.length >= 3))];
    const idArr = sql`${`{${ids.join(',')}}`}::uuid[]`;
    const contactPairs = pairs(withContact, 'amo_contact_id');
    const dealPairs = pairs(withDeal, 'amo_lead_id');

    // The leads stay (counts, rollups, attribution); who they were goes.
    add(
      'leads',
      await rows(
        tx,
        sql`update leads set name = null, phone = null, email = null, message = null, extra = '{}'::jsonb, raw = '{}'::jsonb,
              ip = null, user_agent = null, consent = case when consent is null then null else consent - 'ip' end,
              idempotency_key = case when idempotency_key is null then null else 'erased:' || id::text end, updated_at = ${now}
            where id = any(${idArr}) returning id`,
      ),
    );
    add('consents', await rows(tx, sql`update consents set ip = null, user_agent = null, anonymised_at = ${now} where lead_id = any(${idArr}) returning id`));
    add('delivery_notes', await rows(tx, sql`delete from delivery_notes where lead_id = any(${idArr}) returning lead_id`));
    add(
      'amo_contact_index',
      await rows(tx, sql`delete from amo_contact_index where key = any(${indexKeys}) or (account, amo_contact_id) in ${contactPairs} returning key`),
    );
    add('amo_contacts', await rows(tx, sql`update amo_contacts set name = null, custom_fields = '{}'::jsonb where (account, amo_contact_id) in ${contactPairs} returning amo_contact_id`));
    add('amo_deals', await rows(tx, sql`update amo_deals set name = null where (account, amo_lead_id) in ${dealPairs} or lead_id = any(${idArr}) returning amo_lead_id`));
    add('routing_contact_owners', await rows(tx, sql`delete from routing_contact_owners where key_hash = any(${textArray(hashes)}) returning key_hash`));

    // Follow-ups: the person's enrolments end and forget their variables; nothing more is sent to them.
    const enrolments = await rows(
      tx,
      sql`update followup_enrolments set
            vars = jsonb_build_object('name', null, 'email', null, 'phone', null, 'form', vars -> 'form', 'formTitle', vars -> 'formTitle',
                                      'fields', '{}'::jsonb, 'optIn', coalesce(vars -> 'optIn', '{}'::jsonb)),
            person_key = 'erased:' || id::text, dedupe_key = sequence_key || ':erased:' || id::text,
            status = case when status = 'active' then 'exited' else status end,
            exit_reason = case when status = 'active' then 'erased' else exit_reason end,
            exit_detail = null, ended_at = coalesce(ended_at, ${now}), updated_at = ${now}
          where lead_id = any(${idArr}) or person_key = any(${emailArr}) or person_key = any(${phoneArr}) returning id::text as id`,
    );
    add('followup_enrolments', enrolments);
    const enrolArr = sql`${`{${enrolments.map((e) => String(e.id)).join(',')}}`}::uuid[]`;
    add(
      'followup_steps',
      await rows(tx, sql`update followup_steps set status = 'cancelled', reason = 'erased', updated_at = ${now}
                          where enrolment_id = any(${enrolArr}) and status in ('scheduled', 'claimed') returning id`),
    );
    add('followup_notes', await rows(tx, sql`delete from followup_notes where lead_id = any(${idArr}) returning id`));
    add(
      'followup_suppressions',
      await rows(tx, sql`delete from followup_suppressions where address = any(${emailArr}) or address = any(${phoneArr}) or address = any(${digitArr}) returning address`),
    );
    // WhatsApp: the person's channel state and the raw bodies that carry their number or messages.
    for (const digits of digitList) {
      add('whatsapp_contacts', await rows(tx, sql`delete from whatsapp_contacts where wa_id = ${digits} returning wa_id`));
      add('whatsapp_messages', await rows(tx, sql`update whatsapp_messages set "to" = null, wa_id = null where wa_id = ${digits} or "to" = ${`+${digits}`} or "to" = ${digits} returning id`));
      add('whatsapp_webhook_keys', await rows(tx, sql`delete from whatsapp_webhook_keys where key like ${`%:${digits}:%`} returning key`));
      add('whatsapp_webhooks', await rows(tx, sql`update whatsapp_webhooks set body = '{"erased":true}' where strpos(body, ${digits}) > 0 returning id`));
    }
    // amoCRM webhook bodies that carry the phone/email also lose the person's name (as sent: plain or URL-encoded).
    if (names.length > 0) {
      const nameRe = names.flatMap((n) => [n, encodeURIComponent(n), encodeURIComponent(n).replace(/%20/g, '+')]).map(escapeRegex).join('|');
      const bodies = await rows(tx, sql`select id, body from webhook_deliveries where body ~* ${pattern}`);
      for (const b of bodies) {
        await tx.execute(sql`update webhook_deliveries set body = ${String(b.body).replace(new RegExp(nameRe, 'gi'), ERASED)} where id = ${Number(b.id)}`);
      }
    }

    // Then every text/json column of every table, for any spelling of the phone and email left anywhere.
    await sweep(tx, pattern, new RegExp(pattern, 'gi'), touched);
    const tables: Record<string, number> = {};
    for (const [t, set] of [...seen].sort(([a], [b]) => (a < b ? -1 : 1))) tables[t] = set.size;

    // The erasure itself, without the person: on each lead's timeline and as a domain event.
    if (ids.length > 0) await tx.execute(sql`insert into lead_events (lead_id, type, detail) select unnest(${idArr}), 'erased', '{}'::jsonb`);
    const by = [asked.phone ? 'phone' : null, asked.email ? 'email' : null].filter((x): x is 'phone' | 'email' => x !== null);
    await emit(tx, [{ type: 'privacy.erased', account, payload: { by, leads: ids.length, tables }, occurredAt: now }]);
    return { leads: ids.length, tables };
  });
}
