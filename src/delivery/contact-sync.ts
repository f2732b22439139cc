// The local contact index kept complete, so `search` mode needs no amoCRM search per new contact: an initial import
// of the account's contacts, catch-ups that read the contacts changed since the last one, and the contact webhooks
// (consumed from domain_events by the worker: deletions, and phones/emails when the event carries them).
//
// The guarantee is "freshness": a lead captured at T may create a new contact only once a catch-up that STARTED
// after T has finished — so a contact a manager created a moment before the lead is always in the index. One
// catch-up covers every lead captured before it started (a backlog needs one call; steady traffic about one call
// per batch round). Catch-ups use `filter[updated_at][from]` + `order[updated_at]=asc` keyset pages (the `from` of
// each page is the newest `updated_at` seen, inclusive), never amoCRM's search: an entity whose `updated_at` moves
// during paging moves forward and is read again, never skipped. State lives in delivery_cursors (shared by every
// process): `<prefix>:watermark` (amoCRM's clock, seconds), `<prefix>:fresh_ms` (our clock), `<prefix>:complete`.
import { sql } from 'drizzle-orm';
import { fieldValues, normaliseEmail, type AmoClient, type Contact, type RequestOptions } from '../amocrm/index.js';
import type { Database } from '../db/index.js';
import { rowsOf } from '../db/index.js';
import { indexContacts } from './sql.js';

export interface ContactSyncDeps {
  db: Database;
  amo: AmoClient;
  account: string;
  /** Lead phone normaliser (intake's, E.164), so index keys equal the leads' `phone:` keys. */
  normalisePhone: (raw: string) => string | undefined;
  now: () => number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined;
}

export interface ContactSync {
  /** Index complete (the initial import finished, in any process)? */
  isComplete(): Promise<boolean>;
  /**
   * Makes the index reflect amoCRM as of `capturedAtMs` (runs a catch-up unless one that started later already
   * finished). Returns false while the index is not complete (the caller falls back to search).
   */
  ensureFresh(capturedAtMs: number, opts: RequestOptions): Promise<boolean>;
  /**
   * While the index is not complete (the import runs): index the contacts changed since `capturedAtMs` − RECENT_MS
   * (by `updated_at`, not search), so a contact a manager created a moment before the lead — which amoCRM's lagging
   * search does not find yet — is linked, not twinned. Older contacts are found by search.
   */
  scanRecent(capturedAtMs: number, opts: RequestOptions): Promise<void>;
  /** Full import (start-up when not complete; periodic re-import). */
  importAll(opts: RequestOptions): Promise<number>;
  /** Amount of amoCRM calls made (metrics, bench). */
  calls(): number;
}

const PAGE = 250;
/** How far back `scanRecent` reads: amoCRM's search is assumed to find what changed earlier (and clocks to agree). */
export const RECENT_MS = 10 * 60_000;
/** Longest a batch waits for this process's running import before it searches instead. */
export const IMPORT_WAIT_MS = 45_000;

export function contactKeysOf(c: Contact, normalisePhone: (raw: string) => string | undefined): string[] {
  const keys = new Set<string>();
  for (const p of fieldValues(c.custom_fields_values, 'PHONE')) {
    const e164 = normalisePhone(String(p));
    if (e164) keys.add(`phone:${e164}`);
  }
  for (const e of fieldValues(c.custom_fields_values, 'EMAIL')) if (String(e).includes('@')) keys.add(`email:${normaliseEmail(String(e))}`);
  return [...keys];
}

export function createContactSync(deps: ContactSyncDeps): ContactSync {
  const prefix = `contact_index:${deps.account}`;
  let calls = 0;
  let inFlight: { startedAt: number; done: Promise<void> } | undefined;
  let importing: Promise<number> | undefined;
  let recent: { startedAt: number; done: Promise<void> } | undefined;

  async function read(): Promise<{ watermark: number | null; freshMs: number; complete: boolean }> {
    const res = await deps.db.execute(sql`
      select key, position::text as position from delivery_cursors
      where key in (${`${prefix}:watermark`}, ${`${prefix}:fresh_ms`}, ${`${prefix}:complete`})`);
    const rows = rowsOf<{ key: string; position: string }>(res);
    const get = (k: string) => rows.find((r) => r.key === `${prefix}:${k}`)?.position;
    const wm = get('watermark');
    return { watermark: wm === undefined ? null : Number(wm), freshMs: Number(get('fresh_ms') ?? 0), complete: get('complete') === '1' };
  }

  /** Moves a cursor forward only (several processes write it). */
  async function raise(key: string, value: number): Promise<void> {
    await deps.db.execute(sql`
      insert into delivery_cursors (key, position) values (${`${prefix}:${key}`}, ${Math.floor(value)})
      on conflict (key) do update set position = greatest(delivery_cursors.position, excluded.position), updated_at = now()`);
  }

  /** Reads every contact with updated_at ≥ from (keyset pages); returns the newest updated_at seen. */
  async function scan(from: number, opts: RequestOptions): Promise<{ newest: number | null; seen: number }> {
    let newest: number | null = null;
    let seen = 0;
    let page = 1;
    for (;;) {
      const res = await deps.amo.contacts.list({ filter: { updated_at: { from } }, order: { updated_at: 'asc' }, limit: PAGE, page }, opts);
      calls++;
      const rows = res.items.flatMap((c) => contactKeysOf(c, deps.normalisePhone).map((key) => ({ key, amoContactId: c.id, source: 'import' })));
      await indexContacts(deps.db, deps.account, rows, new Date(deps.now()));
      seen += res.items.length;
      for (const c of res.items) newest = Math.max(newest ?? 0, c.updated_at);
      if (res.items.length < PAGE) return { newest, seen };
      const last = res.items.at(-1)?.updated_at ?? from;
      if (last > from) {
        from = last; // keyset: everything before `last` was read; `last` itself is read again
        page = 1;
      } else page++; // a full page within one second
    }
  }

  async function catchUp(opts: RequestOptions): Promise<void> {
    const startedAt = deps.now();
    const state = await read();
    const { newest } = await scan(state.watermark ?? 0, opts);
    if (newest !== null) await raise('watermark', newest);
    else if (state.watermark === null) await raise('watermark', 0);
    await raise('fresh_ms', startedAt);
  }

  /** Single flight: a caller that needs freshness after T waits for a catch-up that started after T. */
  async function freshAfter(t: number, opts: RequestOptions): Promise<void> {
    for (;;) {
      if (inFlight && inFlight.startedAt >= t) return inFlight.done;
      if (inFlight) {
        const older = inFlight;
        await older.done.catch(() => undefined);
        if (inFlight === older) inFlight = undefined;
        continue;
      }
      const run = { startedAt: deps.now(), done: catchUp(opts) };
      inFlight = run;
      try {
        await run.done;
        return;
      } finally {
        if (inFlight === run) inFlight = undefined;
      }
    }
  }

  return {
    calls: () => calls,
    async isComplete() {
      return (await read()).complete;
    },
    async ensureFresh(capturedAtMs, opts) {
      let state = await read();
      if (!state.complete && importing) {
        // The import runs in this process: wait for it (bounded) rather than spend the same request budget on a
        // search per contact, which would only slow the import down (an empty or small account takes one call).
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = await Promise.race([
          importing.then(() => false, () => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(true), IMPORT_WAIT_MS))),
        ]);
        clearTimeout(timer);
        if (!gaveUp) state = await read();
      }
      if (!state.complete) return false;
      if (state.freshMs >= capturedAtMs) return true;
      await freshAfter(capturedAtMs, opts);
      return true;
    },
    async scanRecent(capturedAtMs, opts) {
      // Single flight: a scan that started after the lead was captured covers it.
      for (;;) {
        if (recent && recent.startedAt >= capturedAtMs) return recent.done;
        if (recent) {
          await recent.done.catch(() => undefined);
          continue;
        }
        const startedAt = deps.now();
        const run = { startedAt, done: scan(Math.floor((capturedAtMs - RECENT_MS) / 1000), opts).then(() => undefined) };
        recent = run;
        try {
          return await run.done;
        } finally {
          if (recent === run) recent = undefined;
        }
      }
    },
    importAll(opts) {
      importing ??= (async () => {
        const startedAt = deps.now();
        try {
          const { newest, seen } = await scan(0, opts);
          await raise('watermark', newest ?? 0);
          await raise('fresh_ms', startedAt);
          await raise('complete', 1);
          deps.log?.info({ contacts: seen, calls }, 'contact index imported');
          return seen;
        } finally {
          importing = undefined;
        }
      })();
      return importing;
    },
  };
}
