import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// Shared pieces of the delivery benches: emulator + client + worker setup, bulk lead loading, request windows.
import { AmoClient, longLivedTokenSet, MemoryTokenStore } from '../src/amocrm/index.js';
import { PgRateLimitStore } from '../src/connect/rate-limit-store.js';
import { leads, type Database } from '../src/db/index.js';

export interface Call {
  at: number;
  method: string;
  path: string;
  status: number;
}

/** The emulator in its own process (its request timestamps must not wait on the bench's event loop). */
export interface BenchEmulator {
  url: string;
  domain: string;
  token: string;
  state(): Promise<{ calls: Call[]; leads: unknown[]; notes: unknown[] }>;
  close(): Promise<void>;
}

export async function benchEmulator(latencyMs = 150): Promise<BenchEmulator> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'emulator', '--port', '0', '--latency-ms', String(latencyMs)], {
    cwd: fileURLToPath(new URL('../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${out}`)));
  });
  const health = (await (await fetch(`${url}/_emulator/health`)).json()) as { subdomain: string };
  const { access_token } = (await (await fetch(`${url}/_emulator/long-lived-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"admin":true}' })).json()) as { access_token: string };
  const res = await fetch(`${url}/api/v4/leads/custom_fields`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }]),
  });
  if (res.status !== 200) throw new Error(`cannot create LEADBRIDGE_ID: ${res.status}`);
  return {
    url,
    domain: `${health.subdomain}.amocrm.ru`,
    token: access_token,
    state: async () => (await (await fetch(`${url}/_emulator/state`)).json()) as { calls: Call[]; leads: unknown[]; notes: unknown[] },
    close: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

export function benchClient(db: Database, emu: BenchEmulator, perSecond = 7): AmoClient {
  return new AmoClient({
    domain: emu.domain,
    baseUrl: emu.url,
    tokens: new MemoryTokenStore(longLivedTokenSet(emu.token)),
    rateLimit: { store: new PgRateLimitStore(db), perSecond },
  });
}

/** Inserts `n` pending leads (distinct phones) straight into the outbox, in chunks. */
export async function loadLeads(db: Database, n: number, form = 'bench', phoneBase = 9_200_000_000): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const rows = Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
      formKey: form,
      name: `Bench ${i + k}`,
      phone: `+7${phoneBase + i + k}`,
      attribution: { utm_source: 'bench', utm_medium: 'cpc' },
    }));
    await db.insert(leads).values(rows);
  }
}

/** Most requests seen in any 1-second window (sliding, by arrival time at the emulator). */
export function maxPerSecond(calls: Call[]): number {
  const at = calls.map((c) => c.at).sort((a, b) => a - b);
  let max = 0;
  let j = 0;
  for (let i = 0; i < at.length; i++) {
    while ((at[i] as number) - (at[j] as number) >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

export async function apiCalls(emu: BenchEmulator): Promise<Call[]> {
  return (await emu.state()).calls.filter((c) => c.path.startsWith('/api/v4'));
}

export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
