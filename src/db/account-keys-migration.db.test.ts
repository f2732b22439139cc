// Migration 0012_account_keys_mapped_fields on a database that already has rows: the business columns of amo_deals
// move into `fields` (an existing key wins) and go; every per-account table gets account 'default' on its old rows,
// and the keys become (account, amoCRM id). Runs on PGlite, and on PostgreSQL with TEST_DATABASE_URL.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../test/db-url.js';
import { MIGRATIONS_FOLDER, wrapPglite, wrapPostgres, type Db } from './index.js';

const TAG = '0012_account_keys_mapped_fields';
const url = process.env.TEST_DATABASE_URL;
const name = `t_acckeys_${process.pid}_${Date.now()}`;
const dirs: string[] = [];
let db: Db;

/** A copy of drizzle/ whose journal ends before `tag` (or with it, `inclusive`). */
function migrationsUpTo(tag: string, inclusive: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'lb-migrations-'));
  dirs.push(dir);
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const file = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(file, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 0) throw new Error(`${tag} is not in the journal`);
  journal.entries = journal.entries.slice(0, inclusive ? at + 1 : at);
  writeFileSync(file, JSON.stringify(journal));
  return dir;
}

async function migrateTo(folder: string): Promise<void> {
  if (db.kind === 'pglite') await migratePglite(db.db as unknown as Parameters<typeof migratePglite>[0], { migrationsFolder: folder });
  else await migratePg(db.db as unknown as Parameters<typeof migratePg>[0], { migrationsFolder: folder });
}

const q = async <T = Record<string, unknown>>(text: string): Promise<T[]> => (await db.executeSql(text)).rows as T[];

beforeAll(async () => {
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    db = wrapPostgres(new pg.Pool({ connectionString: databaseUrl(url, name), max: 2 }));
  } else {
    db = await wrapPglite(await PGlite.create());
  }
  await migrateTo(migrationsUpTo(TAG, false));
  // State as the previous schema held it.
  await q(`insert into leads (id, form_key, amo_lead_id, amo_contact_id) values ('00000000-0000-4000-8000-000000000001', 'asia-deals', 101, 501)`);
  await q(`insert into amo_deals (amo_lead_id, lead_id, price, object_cost, commission, payment_status, fields) values
    (101, '00000000-0000-4000-8000-000000000001', 120000, 450000, 13500, 'Оплачено полностью', '{"object": "Вилла"}'),
    (102, null, null, 310000, null, null, '{"object_cost": "310 000"}'),
    (103, null, null, null, null, null, '{}')`);
  await q(`insert into amo_deal_stages (amo_lead_id, pipeline_id, status_id, entered_at, source) values (101, 7001, 81, now(), 'webhook')`);
  await q(`insert into amo_contacts (amo_contact_id, name) values (501, 'Иван')`);
  await q(`insert into amo_contact_index (key, amo_contact_id, source) values ('phone:+79120012345', 501, 'created')`);
  await q(`insert into webhook_event_keys (key) values ('event:01abc')`);
  await q(`insert into amo_sync_cursors (name, cursor) values ('amo_events', 1773990000)`);
  await q(`insert into analytics_deals (amo_lead_id, pipeline_id, status_id, is_won, is_lost, cohort_at) values (101, 7001, 81, false, false, now())`);
  await q(`insert into analytics_pipelines (pipeline_id, deals) values (7001, 1)`);
  await q(`insert into analytics_deal_stages (amo_lead_id, pipeline_id, status_id, cohort_at, closed_secs, open_count, open_sum) values (101, 7001, 81, now(), 0, 1, 0)`);
  await migrateTo(migrationsUpTo(TAG, true));
}, 120_000);

afterAll(async () => {
  await db?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (!url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe(`migration ${TAG} on existing rows`, () => {
  it('moves object_cost, commission and payment_status into fields under their keys (a key already there wins) and drops the columns', async () => {
    const deals = await q<{ amo_lead_id: string | number; fields: Record<string, unknown>; price: string | number | null }>(
      'select amo_lead_id, fields, price from amo_deals order by amo_lead_id',
    );
    expect(deals.map((d) => [Number(d.amo_lead_id), d.fields])).toEqual([
      [101, { object: 'Вилла', object_cost: 450000, commission: 13500, payment_status: 'Оплачено полностью' }],
      [102, { object_cost: '310 000' }],
      [103, {}],
    ]);
    expect(Number(deals[0]?.price)).toBe(120000);
    const cols = await q<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = 'public' and table_name = 'amo_deals' and column_name in ('object_cost', 'commission', 'payment_status')`,
    );
    expect(cols).toEqual([]);
  });

  it("gives every existing row of the per-account tables the account 'default'", async () => {
    const tables = ['leads', 'amo_deals', 'amo_deal_stages', 'amo_contacts', 'amo_contact_index', 'webhook_event_keys', 'amo_sync_cursors', 'analytics_deals', 'analytics_pipelines', 'analytics_deal_stages'];
    for (const t of tables) {
      const rows = await q<{ account: string; n: number }>(`select account, count(*)::int as n from ${t} group by account`);
      expect([t, rows]).toEqual([t, [{ account: 'default', n: t === 'amo_deals' ? 3 : 1 }]]);
    }
  });

  it('keys synced deals, contacts, the contact index and the dedupe keys by account', async () => {
    const keys = await q<{ table_name: string; cols: string }>(
      `select tc.table_name, string_agg(k.column_name, ',' order by k.ordinal_position) as cols
         from information_schema.table_constraints tc
         join information_schema.key_column_usage k on k.constraint_name = tc.constraint_name and k.table_schema = tc.table_schema and k.table_name = tc.table_name
        where tc.table_schema = 'public' and tc.constraint_type = 'PRIMARY KEY'
          and tc.table_name in ('amo_deals', 'amo_contacts', 'amo_contact_index', 'webhook_event_keys', 'analytics_deals', 'analytics_pipelines', 'analytics_deal_stages')
        group by tc.table_name order by tc.table_name`,
    );
    expect(keys).toEqual([
      { table_name: 'amo_contact_index', cols: 'account,key' },
      { table_name: 'amo_contacts', cols: 'account,amo_contact_id' },
      { table_name: 'amo_deals', cols: 'account,amo_lead_id' },
      { table_name: 'analytics_deal_stages', cols: 'account,amo_lead_id,pipeline_id,status_id' },
      { table_name: 'analytics_deals', cols: 'account,amo_lead_id' },
      { table_name: 'analytics_pipelines', cols: 'account,pipeline_id' },
      { table_name: 'webhook_event_keys', cols: 'account,key' },
    ]);
    // The same amoCRM id in another account is another deal; in the same account it is the same one.
    await q(`insert into amo_deals (account, amo_lead_id) values ('other', 101)`);
    await expect(q(`insert into amo_deals (account, amo_lead_id) values ('default', 101)`)).rejects.toThrow();
    await q(`insert into amo_sync_cursors (account, name, cursor) values ('other', 'amo_events', 1)`);
    await expect(q(`insert into amo_sync_cursors (account, name, cursor) values ('default', 'amo_events', 1)`)).rejects.toThrow();
  });
});
