// The state a batch of observations is applied to, held in memory for the length of one transaction: the deals
// and contacts the batch names (read once, locked), their stage history and our leads linked to them. Every
// observation is applied to it in order, as if one at a time, and flush() writes the result back in a handful of
// multi-row statements instead of ~6 per delivery. The deals and contacts are locked by key first (advisory locks,
// in one order), so two overlapping batches on PostgreSQL wait for each other — also about a deal that does not
// exist yet — instead of deadlocking or inserting it twice.
import { and, asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { amoContacts, amoDeals, amoDealStages, leads, type AmoContactRow, type AmoDealRow, type AmoDealStageRow } from '../db/index.js';
import { emit, type NewEvent } from '../events/index.js';
import type { Tx } from './tx.js';

/** One stay in a stage; `id` null: started in this batch (inserted by flush). */
export interface StagePeriod {
  id: number | null;
  pipelineId: number;
  statusId: number;
  enteredAt: Date;
  leftAt: Date | null;
  source: string;
  /** An existing row whose dates this batch moved. */
  moved?: boolean;
}

const periodOf = (r: AmoDealStageRow): StagePeriod => ({
  id: r.id,
  pipelineId: r.pipelineId,
  statusId: r.statusId,
  enteredAt: r.enteredAt,
  leftAt: r.leftAt,
  source: r.source,
});

export class ApplyState {
  /** Current state by amoCRM id (what an observation reads), after the observations applied so far. */
  private readonly deals = new Map<number, AmoDealRow>();
  private readonly contacts = new Map<number, AmoContactRow>();
  /** Ids whose row existed when the batch began (updated on flush; the others are inserted). */
  private readonly storedDeals = new Set<number>();
  private readonly storedContacts = new Set<number>();
  private readonly dirtyDeals = new Set<number>();
  private readonly dirtyContacts = new Set<number>();
  private readonly periods = new Map<number, StagePeriod[]>();
  private readonly links = new Map<number, string>();
  /** Domain events in the order they happened; emitted on flush, with the writes that caused them. */
  private readonly events: NewEvent[] = [];
  private flushed = false;

  private constructor(readonly account: string) {}

  /** Reads (and locks) the deals `dealIds` and contacts `contactIds` of `account`, with what applying them needs. */
  static async load(tx: Tx, account: string, dealIds: Iterable<number>, contactIds: Iterable<number> = []): Promise<ApplyState> {
    const s = new ApplyState(account);
    const ids = [...new Set(dealIds)].sort((a, b) => a - b);
    const cids = [...new Set(contactIds)].sort((a, b) => a - b);
    await lockKeys(tx, account, ids, cids);
    // The rows are locked as well: privacy erasure (src/privacy/forget.ts) updates them without the key locks, and
    // flush() writes whole rows back, so an erasure committed between this read and the flush would be undone.
    if (ids.length > 0) {
      const rows = await tx
        .select()
        .from(amoDeals)
        .where(and(eq(amoDeals.account, account), inArray(amoDeals.amoLeadId, ids)))
        .orderBy(asc(amoDeals.amoLeadId))
        .for('update');
      for (const r of rows) {
        s.deals.set(r.amoLeadId, r);
        s.storedDeals.add(r.amoLeadId);
      }
      // Read after the lock: the history of a locked deal cannot change under us.
      const stages = await tx
        .select()
        .from(amoDealStages)
        .where(and(eq(amoDealStages.account, account), inArray(amoDealStages.amoLeadId, ids)))
        .orderBy(asc(amoDealStages.amoLeadId), asc(amoDealStages.enteredAt), asc(amoDealStages.id));
      for (const id of ids) s.periods.set(id, []);
      for (const r of stages) s.periods.get(r.amoLeadId)?.push(periodOf(r));
      const unlinked = ids.filter((id) => !s.deals.get(id)?.leadId);
      if (unlinked.length > 0) {
        const found = await tx
          .select({ id: leads.id, amoLeadId: leads.amoLeadId })
          .from(leads)
          .where(and(eq(leads.account, account), inArray(leads.amoLeadId, unlinked)));
        for (const l of found) if (l.amoLeadId !== null && !s.links.has(l.amoLeadId)) s.links.set(l.amoLeadId, l.id);
      }
    }
    if (cids.length > 0) {
      const rows = await tx
        .select()
        .from(amoContacts)
        .where(and(eq(amoContacts.account, account), inArray(amoContacts.amoContactId, cids)))
        .orderBy(asc(amoContacts.amoContactId))
        .for('update');
      for (const r of rows) {
        s.contacts.set(r.amoContactId, r);
        s.storedContacts.add(r.amoContactId);
      }
    }
    return s;
  }

  deal(amoLeadId: number): AmoDealRow | undefined {
    return this.deals.get(amoLeadId);
  }

  putDeal(row: AmoDealRow): void {
    this.deals.set(row.amoLeadId, row);
    this.dirtyDeals.add(row.amoLeadId);
  }

  contact(amoContactId: number): AmoContactRow | undefined {
    return this.contacts.get(amoContactId);
  }

  putContact(row: AmoContactRow): void {
    this.contacts.set(row.amoContactId, row);
    this.dirtyContacts.add(row.amoContactId);
  }

  /** Our lead delivered as deal `amoLeadId`, when there is one. */
  linkedLeadId(amoLeadId: number): string | null {
    return this.links.get(amoLeadId) ?? null;
  }

  /** The stage history of a loaded deal, oldest first (ordered as entered_at, id orders the table). */
  stages(amoLeadId: number): StagePeriod[] {
    const list = this.periods.get(amoLeadId);
    if (!list) throw new Error(`deal ${amoLeadId} was not loaded into this batch`);
    return list;
  }

  emit(events: readonly NewEvent[]): void {
    for (const e of events) this.events.push({ ...e, account: this.account });
  }

  /** Writes every change back (within the caller's transaction) and emits the events. Once, at the end. */
  async flush(tx: Tx): Promise<void> {
    if (this.flushed) throw new Error('an ApplyState is flushed once');
    this.flushed = true;
    const deals = [...this.dirtyDeals].map((id) => this.deals.get(id) as AmoDealRow);
    await updateRows(tx, amoDeals, ['account', 'amoLeadId'], deals.filter((d) => this.storedDeals.has(d.amoLeadId)));
    await insertRows(tx, amoDeals, deals.filter((d) => !this.storedDeals.has(d.amoLeadId)), ['createdAt']);
    const contacts = [...this.dirtyContacts].map((id) => this.contacts.get(id) as AmoContactRow);
    await updateRows(tx, amoContacts, ['account', 'amoContactId'], contacts.filter((c) => this.storedContacts.has(c.amoContactId)));
    await insertRows(tx, amoContacts, contacts.filter((c) => !this.storedContacts.has(c.amoContactId)), ['createdAt']);

    const moved: Pick<AmoDealStageRow, 'id' | 'enteredAt' | 'leftAt'>[] = [];
    const started: Omit<AmoDealStageRow, 'id'>[] = [];
    for (const [amoLeadId, list] of this.periods) {
      for (const p of list) {
        if (p.id !== null && p.moved) moved.push({ id: p.id, enteredAt: p.enteredAt, leftAt: p.leftAt });
        if (p.id === null) started.push({ account: this.account, amoLeadId, pipelineId: p.pipelineId, statusId: p.statusId, enteredAt: p.enteredAt, leftAt: p.leftAt, source: p.source });
      }
    }
    await updateRows(tx, amoDealStages, ['id'], moved);
    await insertRows(tx, amoDealStages, started, ['id']);
    await emit(tx, this.events);
  }
}

/**
 * Transaction-scoped advisory locks on every deal and contact the batch names, taken in one order: a row lock
 * cannot hold back a second batch about a deal that does not exist yet (the first webhook of a new deal), so two
 * batches creating the same deal at once would both insert it and one would fail (and be retried one delivery at
 * a time). With the key locked, the second waits for the first to commit and then reads its row.
 */
async function lockKeys(tx: Tx, account: string, dealIds: readonly number[], contactIds: readonly number[]): Promise<void> {
  if (dealIds.length === 0 && contactIds.length === 0) return;
  const ids = (list: readonly number[]) => sql`${`{${list.join(',')}}`}::bigint[]`;
  // One lock key per `<account>:deal:<id>` / `<account>:contact:<id>`, taken in the order of the keys.
  await tx.execute(sql`select pg_advisory_xact_lock(k) from (
      select distinct hashtextextended(${account}::text || ':' || x.kind || ':' || x.id, 0) as k
      from (select 'deal' as kind, unnest(${ids(dealIds)}) as id union all select 'contact', unnest(${ids(contactIds)})) as x
      order by 1) as keys`);
}

// --- Multi-row writes: the rows travel as ONE jsonb parameter, spread into the table's row type. ---

type Row = Record<string, unknown>;

/** A lone UTF-16 surrogate cannot be stored (jsonb refuses its escape); a text parameter would carry U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function rowsJson(table: PgTable, rows: readonly Row[], skip: readonly string[]): { json: string; columns: string[] } {
  const cols = Object.entries(getTableColumns(table)).filter(([prop]) => !skip.includes(prop) && rows.some((r) => prop in r));
  const value = (r: Row, prop: string): unknown => {
    const v = r[prop];
    // JSON would carry an invalid date as null: refuse it, as a timestamp parameter would.
    if (v instanceof Date && Number.isNaN(v.getTime())) throw new RangeError(`${prop}: invalid date`);
    return v ?? null;
  };
  const json = JSON.stringify(
    rows.map((r) => Object.fromEntries(cols.map(([prop, c]) => [c.name, value(r, prop)]))),
    (_k, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\uFFFD') : v),
  );
  return { json, columns: cols.map(([, c]) => c.name) };
}

const ident = (name: string) => sql.identifier(name);

async function insertRows(tx: Tx, table: PgTable, rows: readonly Row[], skip: readonly string[]): Promise<void> {
  if (rows.length === 0) return;
  const { json, columns } = rowsJson(table, rows, skip);
  const list = sql.join(columns.map(ident), sql`, `);
  await tx.execute(sql`insert into ${table} (${list}) select ${list} from jsonb_populate_recordset(null::${table}, ${json}::jsonb)`);
}

async function updateRows(tx: Tx, table: PgTable, keys: readonly string[], rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const { json, columns } = rowsJson(table, rows, []);
  const all = getTableColumns(table);
  const keyCols = keys.map((k) => (all[k] as { name: string }).name);
  const set = sql.join(
    columns.filter((c) => !keyCols.includes(c)).map((c) => sql`${ident(c)} = v.${ident(c)}`),
    sql`, `,
  );
  const match = sql.join(keyCols.map((c) => sql`t.${ident(c)} = v.${ident(c)}`), sql` and `);
  await tx.execute(sql`update ${table} as t set ${set} from jsonb_populate_recordset(null::${table}, ${json}::jsonb) as v where ${match}`);
}
