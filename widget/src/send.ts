// Posting a submission, and the outbox for when the network fails: the submission (with its idempotency key) is
// kept in localStorage and sent again on the next page view; the server's idempotency key makes it one lead.
import { read, write } from './storage.js';

export type SendResult = { kind: 'ok' } | { kind: 'invalid'; fields: string[] } | { kind: 'retry' };

interface Queued {
  url: string;
  body: Record<string, unknown>;
  t: number;
}

const QUEUE = 'lb_queue';
const LOCK = 'lb_flush';
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export async function send(url: string, body: Record<string, unknown>): Promise<SendResult> {
  let res: Response;
  try {
    // text/plain keeps this a "simple" CORS request: no preflight, and the origin check happens on the server.
    res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, keepalive: true, credentials: 'omit' });
  } catch {
    return { kind: 'retry' };
  }
  if (res.ok) return { kind: 'ok' };
  if (res.status >= 500 || res.status === 429 || res.status === 408) return { kind: 'retry' };
  let fields: string[] = [];
  try {
    const p = (await res.json()) as { errors?: { field: string }[] };
    fields = (p.errors ?? []).map((e) => e.field);
  } catch {
    /* not problem+json */
  }
  return { kind: 'invalid', fields };
}

export function enqueue(url: string, body: Record<string, unknown>): void {
  const q = read<Queued[]>(QUEUE) ?? [];
  if (!q.some((x) => x.body.idempotency_key === body.idempotency_key)) q.push({ url, body, t: Date.now() });
  write(QUEUE, q);
}

/** Sends what an earlier page view could not; each item leaves the queue once the server answered it. */
export async function flush(): Promise<number> {
  const now = Date.now();
  const lock = read<number>(LOCK);
  if (lock && now - lock < 15_000) return 0; // another tab is sending
  const q = (read<Queued[]>(QUEUE) ?? []).filter((x) => now - x.t < MAX_AGE_MS);
  if (q.length === 0) return 0;
  write(LOCK, now);
  let sent = 0;
  for (const item of q) {
    const r = await send(item.url, item.body);
    if (r.kind !== 'retry') {
      sent++;
      const rest = (read<Queued[]>(QUEUE) ?? []).filter((x) => x.body.idempotency_key !== item.body.idempotency_key);
      write(QUEUE, rest);
    }
  }
  write(LOCK, 0);
  return sent;
}
