// Outgoing webhooks: each body signed over the exact bytes sent, delivered after its delay, retried on a non-200
// answer or no answer (short schedule here; Meta retries for up to 7 days), every attempt logged.
import type { WebhookDelivery } from './options.js';
import { sign } from './wire.js';

export interface SenderDeps {
  appSecret: string;
  url: () => string | undefined;
  retryMs: number[];
  now: () => number;
}

export class WebhookSender {
  readonly log: WebhookDelivery[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private inflight = new Set<Promise<void>>();
  private chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly deps: SenderDeps) {}

  /**
   * Schedules `body` (already serialised) after `delayMs`. Bodies with the same `key` (a message id) are delivered
   * one after the other in due order, so sent → delivered → read arrive in that order unless a test asks otherwise;
   * different keys go out concurrently.
   */
  schedule(body: string, delayMs: number, key = '', attempt = 1): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const prev = this.chains.get(key) ?? Promise.resolve();
      const p: Promise<void> = prev.then(() => this.deliver(body, key, attempt)).finally(() => {
        this.inflight.delete(p);
        if (this.chains.get(key) === p) this.chains.delete(key);
      });
      this.chains.set(key, p);
      this.inflight.add(p);
    }, Math.max(0, delayMs));
    this.timers.add(timer);
  }

  /** Delivers now and resolves with the receiver's status (retries are scheduled as usual). */
  async sendNow(body: string): Promise<number> {
    const p = this.deliver(body, '', 1);
    this.inflight.add(p);
    await p.finally(() => this.inflight.delete(p));
    return this.log.at(-1)?.status ?? 0;
  }

  private async deliver(body: string, key: string, attempt: number): Promise<void> {
    const url = this.deps.url();
    if (!url || this.closed) return;
    let status = 0;
    const started = performance.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, this.deps.appSecret), 'user-agent': 'facebookexternalua' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = 0;
    }
    this.log.push({ at: this.deps.now(), url, body, attempt, status, ms: Math.round((performance.now() - started) * 10) / 10 });
    if (status !== 200 && attempt <= this.deps.retryMs.length) this.schedule(body, this.deps.retryMs[attempt - 1]!, key, attempt + 1);
  }

  pending(): number {
    return this.timers.size + this.inflight.size;
  }

  async flush(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.pending() > 0 && Date.now() < until) {
      if (this.inflight.size) await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 10))]);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.log.length = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }
}
