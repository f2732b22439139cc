// Deals named by (account, amoCRM id): amoCRM ids are unique only within an account, so the rollups select and key
// deals by both (like amo_deals).
import { sql, type SQL } from 'drizzle-orm';

/** A deal by its key: amoCRM ids are unique only within an account. */
export interface DealKey {
  account: string;
  amoLeadId: number;
}

/**
 * `(account, amo_lead_id) in (…)` for the given deals, over the columns of `alias` ('' = unqualified); the amo_lead_id
 * column may come from another alias (`idAlias`).
 */
export function dealKeyIn(deals: readonly DealKey[], alias = '', idAlias = alias): SQL {
  const col = (a: string, c: string) => sql.raw(a ? `${a}.${c}` : c);
  const list = JSON.stringify(deals.map((d) => ({ a: d.account, i: d.amoLeadId })));
  return sql`(${col(alias, 'account')}, ${col(idAlias, 'amo_lead_id')}) in (select u.a, u.i from jsonb_to_recordset(${list}::jsonb) as u(a text, i bigint))`;
}

/** The deals a batch of events names, each in its event's account. */
export function dealKeysOf(events: readonly { account: string; amoLeadId: number | null }[]): DealKey[] {
  const seen = new Map<string, DealKey>();
  for (const e of events) if (e.amoLeadId !== null) seen.set(`${e.account}\u0000${e.amoLeadId}`, { account: e.account, amoLeadId: e.amoLeadId });
  return [...seen.values()];
}
