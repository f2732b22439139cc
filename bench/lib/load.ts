// The intake load generator: a SEPARATE process (forked by bench/intake.ts as `node --import tsx bench/lib/load.ts`)
// so that its CPU is not the server's event loop. It waits for phase commands over IPC and answers each with
// a PhaseResult:
//   closed — N connections, each sends the next lead as soon as the previous answer arrived (max throughput);
//   open   — a fixed schedule of `rate` leads/s regardless of answers; latency is measured from the SCHEDULED
//            send time, so a stalled server cannot hide its backlog (no coordinated omission).
import { Pool } from 'undici';
import { submission } from './bodies.js';
import { summarise, type LatencySummary } from './stats.js';

export type PhaseCommand =
  | { kind: 'closed'; origin: string; runId: string; firstIndex: number; connections: number; seconds: number }
  | { kind: 'open'; origin: string; runId: string; firstIndex: number; rate: number; seconds: number; connections: number };

export interface PhaseResult {
  kind: PhaseCommand['kind'];
  sent: number;
  /** Answers by HTTP status ("202": n, …); "error" counts transport failures. */
  statuses: Record<string, number>;
  accepted: number;
  seconds: number;
  latency: LatencySummary;
  /** Next unused submission index (idempotency keys stay unique across phases). */
  nextIndex: number;
  /** CPU time this load generator used in the phase. */
  cpuMs: number;
}

/** Visitors come from many addresses: connections are spread over 127.0.0.1–8 (the per-IP limit stays per IP). */
const SOURCES = 8;

class Pools {
  private readonly pools: Pool[];
  constructor(origin: string, connections: number) {
    const per = Math.max(1, Math.ceil(connections / SOURCES));
    this.pools = Array.from({ length: SOURCES }, (_, k) => new Pool(origin, { connections: per, pipelining: 1, localAddress: `127.0.0.${k + 1}` }));
  }
  for(i: number): Pool {
    return this.pools[i % SOURCES] as Pool;
  }
  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}

async function post(pool: Pool, runId: string, i: number, statuses: Record<string, number>): Promise<void> {
  const s = submission(runId, i);
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/api/leads',
      headers: { 'content-type': s.contentType, 'idempotency-key': s.idempotencyKey, 'user-agent': 'leadbridge-bench/1' },
      body: s.body,
    });
    await res.body.dump();
    const key = String(res.statusCode);
    statuses[key] = (statuses[key] ?? 0) + 1;
  } catch {
    statuses.error = (statuses.error ?? 0) + 1;
  }
}

async function closedLoop(cmd: Extract<PhaseCommand, { kind: 'closed' }>): Promise<Omit<PhaseResult, 'cpuMs'>> {
  const pools = new Pools(cmd.origin, cmd.connections);
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let next = cmd.firstIndex;
  const started = performance.now();
  const deadline = started + cmd.seconds * 1000;
  // Worker w keeps to one source address, so each pool has exactly as many workers as connections.
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const i = next++;
      const t = performance.now();
      await post(pools.for(w), cmd.runId, i, statuses);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: cmd.connections }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  await pools.close();
  return result('closed', statuses, latencies, seconds, next, next - cmd.firstIndex);
}

async function openLoop(cmd: Extract<PhaseCommand, { kind: 'open' }>): Promise<Omit<PhaseResult, 'cpuMs'>> {
  const pools = new Pools(cmd.origin, cmd.connections);
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const total = Math.round(cmd.rate * cmd.seconds);
  const interval = 1000 / cmd.rate;
  const inflight: Promise<void>[] = [];
  const started = performance.now();
  let n = 0;
  while (n < total) {
    const now = performance.now();
    for (; n < total && started + n * interval <= now; n++) {
      const scheduled = started + n * interval;
      inflight.push(post(pools.for(n), cmd.runId, cmd.firstIndex + n, statuses).then(() => void latencies.push(performance.now() - scheduled)));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000;
  await pools.close();
  return result('open', statuses, latencies, seconds, cmd.firstIndex + total, total);
}

function result(kind: PhaseCommand['kind'], statuses: Record<string, number>, latencies: number[], seconds: number, nextIndex: number, sent: number): Omit<PhaseResult, 'cpuMs'> {
  return { kind, sent, statuses, accepted: statuses['202'] ?? 0, seconds, latency: summarise(latencies), nextIndex };
}

export async function runPhase(cmd: PhaseCommand): Promise<PhaseResult> {
  const cpu = process.cpuUsage();
  const r = await (cmd.kind === 'closed' ? closedLoop(cmd) : openLoop(cmd));
  const used = process.cpuUsage(cpu);
  return { ...r, cpuMs: (used.user + used.system) / 1000 };
}

// Child-process mode: one command per message, 'exit' ends the process.
if (process.send) {
  process.on('message', (msg: PhaseCommand | 'exit') => {
    if (msg === 'exit') {
      process.disconnect();
      return;
    }
    runPhase(msg).then(
      (r) => process.send?.(r),
      (err: unknown) => {
        process.stderr.write(`load generator failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
  process.send('ready');
}
