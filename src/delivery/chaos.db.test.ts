// The chaos run (test/chaos.ts) at CI size: the real server in child processes, SIGKILLed twice, against an emulator
// that fails in every way amoCRM does (5xx, drops and timeouts after creating, 429 bursts, expired tokens, a lagging
// search). PGlite by default; with TEST_DATABASE_URL PostgreSQL.
// The bigger run: `npx tsx bench/chaos.ts`.
import { describe, expect, it } from 'vitest';
import { runChaos, type ChaosResult } from '../../test/chaos.js';

const pgUrl = process.env.TEST_DATABASE_URL;

function expectGuarantees(r: ChaosResult): void {
  expect(r.accepted).toBeGreaterThan(0);
  expect(r.kills).toBe(2);
  expect(r.missing).toEqual([]);
  expect(r.duplicated).toEqual([]);
  expect(r.strayDeals).toBe(0);
  expect(r.deals).toBe(r.accepted);
  expect(r.storedLeads).toBe(r.accepted);
  expect(r.notDelivered).toEqual({});
  expect(r.twinContacts).toBe(0);
  expect(r.refreshes).toBeGreaterThan(0);
  expect(r.failedRefreshes).toBe(0);
  expect(r.maxPerSecond).toBeLessThanOrEqual(7);
  // The chaos reached the server (not only queued): failed answers of some kind were met.
  expect(Object.entries(r.met).filter(([k]) => k !== '2xx').reduce((n, [, v]) => n + v, 0)).toBeGreaterThan(0);
}

describe(`chaos on ${pgUrl ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('every accepted lead is one deal, no twin contacts, no failed refresh, ≤ 7 requests/s — through two SIGKILLs', async () => {
    const r = await runChaos({ leads: 80, persons: 45, ...(pgUrl ? { postgresUrl: pgUrl } : {}), timeoutMs: 280_000 });
    expectGuarantees(r);
  }, 300_000);

  it.runIf(pgUrl)('two instances on one PostgreSQL: the same guarantees, one instance killed at a time', async () => {
    const r = await runChaos({ leads: 80, persons: 45, instances: 2, postgresUrl: pgUrl!, timeoutMs: 280_000 });
    expectGuarantees(r);
  }, 300_000);
});
