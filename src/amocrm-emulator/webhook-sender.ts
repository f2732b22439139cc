// Outgoing webhooks (fact sheet §8): form-encoded deliveries (one item each, or grouped), 2 s timeout, retries
// 5m/15m/15m/1h (scaled), auto-disable; optional duplicates and reordering as amoCRM occasionally does.
import { encodeWebhookBody, type HookItem } from '../amocrm/webhooks/index.js';
import type { HookSink } from './effects.js';
import type { EmulatorConfig } from './options.js';
import type { DeliveryRec, EmulatorStore } from './state.js';

export const RETRY_DELAYS_MS = [5 * 60_000, 15 * 60_000, 15 * 60_000, 60 * 60_000];
const TIMEOUT_MS = 2000;
const DISABLE_WINDOW_MS = 2 * 3600_000;
const DISABLE_THRESHOLD = 100;

interface PendingRetry {
  subId: number;
  body: string;
  items: DeliveryRec['items'];
  attempt: number;
  dueAt: number;
  timer: NodeJS.Timeout;
}

export interface SenderDeps {
  getStore: () => EmulatorStore;
  config: EmulatorConfig;
  nowMs: () => number;
  timeScale: number;
  groupMs: number;
  grouping: 'per-item' | 'grouped';
  /** Probability (0–1) that a first attempt is delivered twice. */
  duplicates: number;
  /** Random extra delay 0–N ms per delivery (reorders them). */
  reorderMs: number;
  seed: number;
  fetch?: typeof fetch;
}

/** mulberry32: a small seeded PRNG, so a run with duplicates and reordering can be repeated. */
function dice(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** amoCRM's retry rule: attempts 2–3 after any invalid answer, 4–5 only after 499 or 5xx. */
export function shouldRetry(attempt: number, status: number): boolean {
  if (attempt >= 5) return false;
  if (attempt <= 2) return true;
  return status === 499 || (status >= 500 && status <= 599);
}

export class WebhookSender implements HookSink {
  private buffers = new Map<number, HookItem[]>();
  private groupTimers = new Map<number, NodeJS.Timeout>();
  private retries: PendingRetry[] = [];
  private inflight = new Set<Promise<void>>();
  private invalid = new Map<number, number[]>();
  private dropCount = 0;
  private closed = false;

  private readonly random: () => number;

  constructor(private readonly deps: SenderDeps) {
    this.random = dice(deps.seed);
  }

  push(setting: string, item: HookItem): void {
    if (this.closed) return;
    for (const sub of this.deps.getStore().webhooks) {
      if (sub.disabled || !sub.settings.includes(setting)) continue;
      const buf = this.buffers.get(sub.id) ?? [];
      buf.push(item);
      this.buffers.set(sub.id, buf);
      if (!this.groupTimers.has(sub.id)) {
        this.groupTimers.set(sub.id, setTimeout(() => this.flushGroup(sub.id), this.deps.groupMs));
      }
    }
  }

  dropNext(n: number): void {
    this.dropCount += n;
  }

  reset(): void {
    for (const t of this.groupTimers.values()) clearTimeout(t);
    for (const r of this.retries) clearTimeout(r.timer);
    this.groupTimers.clear();
    this.buffers.clear();
    this.retries = [];
    this.invalid.clear();
    this.dropCount = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reset();
    await Promise.allSettled([...this.inflight]);
  }

  /** Sends every grouped delivery now and waits for all in-flight requests. */
  async flush(): Promise<void> {
    for (const id of [...this.groupTimers.keys()]) {
      clearTimeout(this.groupTimers.get(id));
      this.flushGroup(id);
    }
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Fires retries whose (emulator-clock) due time has passed; called after the clock is advanced. */
  checkDue(): void {
    const now = this.deps.nowMs();
    for (const r of this.retries.filter((x) => x.dueAt <= now)) this.fireRetry(r);
  }

  private flushGroup(subId: number): void {
    this.groupTimers.delete(subId);
    const items = this.buffers.get(subId) ?? [];
    this.buffers.delete(subId);
    if (!items.length) return;
    const { config, grouping, duplicates, reorderMs } = this.deps;
    const account = { id: config.accountId, subdomain: config.subdomain, self: `https://${config.domain}` };
    for (const batch of grouping === 'grouped' ? [items] : items.map((i) => [i])) {
      const body = encodeWebhookBody(batch, account);
      const meta = batch.map((i) => ({ key: i.key, action: i.action, id: i.fields.id }));
      const copies = duplicates > 0 && this.random() < duplicates ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const wait = reorderMs > 0 ? Math.floor(this.random() * reorderMs) : 0;
        this.track(wait > 0 ? new Promise((r) => setTimeout(r, wait)).then(() => this.deliver(subId, body, meta, 1)) : this.deliver(subId, body, meta, 1));
      }
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private fireRetry(r: PendingRetry): void {
    clearTimeout(r.timer);
    this.retries = this.retries.filter((x) => x !== r);
    this.track(this.deliver(r.subId, r.body, r.items, r.attempt));
  }

  private async deliver(subId: number, body: string, items: DeliveryRec['items'], attempt: number): Promise<void> {
    const store = this.deps.getStore();
    const sub = store.webhooks.find((w) => w.id === subId);
    if (!sub || this.closed) return;
    store.ids.delivery = (store.ids.delivery ?? 0) + 1;
    const rec: DeliveryRec = { id: store.ids.delivery, subscription_id: subId, destination: sub.destination, body, attempt, status: 'pending', http_status: null, error: null, at: this.deps.nowMs(), items };
    store.deliveries.push(rec);
    if (sub.disabled) {
      rec.status = 'disabled';
      return;
    }
    if (attempt === 1 && this.dropCount > 0) {
      this.dropCount--;
      rec.status = 'dropped';
      return;
    }
    let status = 0;
    try {
      const res = await (this.deps.fetch ?? fetch)(sub.destination, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'amoCRM-Webhooks/3.0' },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      rec.error = e instanceof Error ? e.name : 'error';
    }
    rec.http_status = status || null;
    if (status >= 100 && status <= 299) {
      rec.status = 'ok';
      return;
    }
    const now = this.deps.nowMs();
    const list = (this.invalid.get(subId) ?? []).filter((t) => t > now - DISABLE_WINDOW_MS);
    list.push(now);
    this.invalid.set(subId, list);
    if (list.length > DISABLE_THRESHOLD) {
      sub.disabled = true;
      rec.status = 'failed';
      this.retries = this.retries.filter((r) => (r.subId === subId ? (clearTimeout(r.timer), false) : true));
      return;
    }
    if (this.closed || !shouldRetry(attempt, status)) {
      rec.status = 'failed';
      return;
    }
    rec.status = 'retry_scheduled';
    const delay = (RETRY_DELAYS_MS[attempt - 1] ?? 0) * this.deps.timeScale;
    const r: PendingRetry = { subId, body, items, attempt: attempt + 1, dueAt: now + delay, timer: setTimeout(() => this.fireRetry(r), delay) };
    r.timer.unref();
    this.retries.push(r);
  }
}
