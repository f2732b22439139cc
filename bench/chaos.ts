// Bench: the bigger chaos run (test/chaos.ts; src/delivery/chaos.db.test.ts runs a small one in CI). The real server
// (child processes, SIGKILLed twice) against the emulator in its own process answering 5xx, dropping or timing out
// after creating, bursting 429s, expiring tokens and lagging its search; checks exactly one deal per accepted lead,
// no twin contacts, no failed refresh, ≤ 7 requests in any 1 s window at the emulator.
// Run: npx tsx bench/chaos.ts [--leads 1000] [--persons 600] [--instances 1]   (PGlite)
//      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/chaos.ts [--instances 2]
import { runChaos } from '../test/chaos.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const leads = Number(arg('leads', '1000'));
const persons = Number(arg('persons', String(Math.round(leads * 0.6))));
const instances = Number(arg('instances', '1'));
const postgresUrl = process.env.DATABASE_URL;
const r = await runChaos({
  leads,
  persons,
  instances,
  ...(postgresUrl ? { postgresUrl } : {}),
  searchLagMs: 5000,
  timeoutMs: Number(arg('timeout-s', '1800')) * 1000,
  log: (l) => console.log(l),
});
const pass =
  r.missing.length === 0 && r.duplicated.length === 0 && r.strayDeals === 0 && r.twinContacts === 0 && r.failedRefreshes === 0 && r.maxPerSecond <= 7 && Object.keys(r.notDelivered).length === 0;
console.log(`chaos bench: ${postgresUrl ? 'PostgreSQL' : 'PGlite'}, ${instances} instance(s), ${leads} leads of ${persons} persons, ${r.kills} SIGKILLs`);
console.log(`faults queued: ${JSON.stringify(r.injected)}; answers the server met: ${JSON.stringify(r.met)}`);
console.log(`accepted ${r.accepted}, stored ${r.storedLeads}, deals ${r.deals} (missing ${r.missing.length}, duplicated ${r.duplicated.length}, stray ${r.strayDeals}); not delivered: ${JSON.stringify(r.notDelivered)}`);
console.log(`contacts ${r.contacts}, persons with twin contacts ${r.twinContacts}; token refreshes ${r.refreshes} (failed ${r.failedRefreshes})`);
console.log(`kills that waited for a token rotation to be stored: ${r.killsWaitedForRotation}; kills that still landed inside one: ${r.killsInsideRotation}`);
console.log(`amoCRM API calls ${r.apiCalls}; most in any 1 s window at the emulator: ${r.maxPerSecond} (limit 7)`);
console.log(`all delivered ${r.seconds.toFixed(1)} s after the start (${r.deliveredPerSecond.toFixed(1)} leads/s incl. 3 server starts)`);
console.log(`RESULT ${pass ? 'PASS' : 'FAIL'} chaos leads=${leads} instances=${instances} db=${postgresUrl ? 'postgres' : 'pglite'}`);
process.exitCode = pass ? 0 : 1;
