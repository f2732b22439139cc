// Bench: 20 concurrent callers (mixed GET/POST) through one AmoClient against the emulator with its 7/s limit on.
// Prints achieved requests/s (target ≥ 6.5), 429s received (must be 0) and p50/p99 of the limiter wait.
// Run: npx tsx bench/amocrm-client.ts [seconds]
import { startEmulator } from '../src/amocrm-emulator/index.js';
import { AmoClient, MemoryTokenStore, tokenSetFromResponse, type AmoRequestInfo } from '../src/amocrm/index.js';

const seconds = Number(process.argv[2] ?? 10);
const callers = 20;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const emu = await startEmulator({ port: 0, autoApprove: true, rateLimit: { perIntegration: 7, perAccount: 50 }, logger: false });
const infos: AmoRequestInfo[] = [];
const tokens = new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens({ admin: true }), Date.now()));
const amo = new AmoClient({
  domain: emu.config.domain,
  baseUrl: emu.url,
  oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
  tokens,
  onRequest: (i) => infos.push(i),
});

const started = Date.now();
const deadline = started + seconds * 1000;
let ok = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: callers }, async (_, c) => {
    for (let i = 0; Date.now() < deadline; i++) {
      try {
        if ((c + i) % 3 === 0) await amo.leads.create([{ name: `bench ${c}-${i}` }]);
        else if ((c + i) % 3 === 1) await amo.leads.list({ limit: 10 });
        else await amo.account.get();
        ok++;
      } catch {
        failed++;
      }
    }
  }),
);
const elapsed = (Date.now() - started) / 1000;
await emu.close();

const sent = infos.length;
const rps = sent / elapsed;
const r429 = infos.filter((i) => i.status === 429).length;
const waits = infos.map((i) => i.waitMs).sort((a, b) => a - b);
const pass = rps >= 6.5 && r429 === 0 && failed === 0;
console.log(`callers=${callers} seconds=${elapsed.toFixed(1)} requests=${sent} ok=${ok} failed=${failed}`);
console.log(`achieved ${rps.toFixed(2)} req/s (target >= 6.5), 429s=${r429} (must be 0)`);
console.log(`limiter wait p50=${pct(waits, 50)} ms p99=${pct(waits, 99)} ms`);
console.log(`RESULT ${pass ? 'PASS' : 'FAIL'} amocrm-client rps=${rps.toFixed(2)} 429=${r429} p50Wait=${pct(waits, 50)}ms p99Wait=${pct(waits, 99)}ms`);
process.exitCode = pass ? 0 : 1;
