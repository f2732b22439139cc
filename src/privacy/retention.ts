// Retention: raw webhook bodies (amoCRM's webhook_deliveries, WhatsApp's whatsapp_webhooks) and spam leads older
// than their setting are deleted by a periodic sweep in the running server (0 days = keep forever). A pending
// amoCRM delivery (not applied yet) is never deleted. Deletes go in batches so no statement holds the database long.
import { sql } from 'drizzle-orm';
import type { Database } from '../db/index.js';
import { rowsOf } from '../db/index.js';

export interface RetentionSettings {
  /** Days to keep raw webhook bodies (0 = forever). */
  rawWebhookDays: number;
  /** Days to keep spam leads (0 = forever). */
  spamDays: number;
}

export interface RetentionDeps {
  db: Database;
  settings: RetentionSettings;
  /** Injected clock (tests). */
  now?: () => number;
  /** Time between sweeps (default 1 h); the first runs `firstDelayMs` (default 60 s) after start. */
  intervalMs?: number;
  firstDelayMs?: number;
  /** Rows per delete statement (default 500). */
  batchSize?: number;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface SweepResult {
  webhook_deliveries: number;
  whatsapp_webhooks: number;
  spam_leads: number;
}

export interface Retention {
  /** One sweep now (tests, and what the timer runs). */
  sweep(): Promise<SweepResult>;
  start(): void;
  /** Clears the timer and waits for a sweep in progress (it stops after its current batch). */
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

async function deleted(db: Database, q: ReturnType<typeof sql>): Promise<number> {
  return rowsOf<unknown>((await db.execute(q))).length;
}

export function createRetention(deps: RetentionDeps): Retention {
  const now = deps.now ?? Date.now;
  const batch = deps.batchSize ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function drain(q: () => ReturnType<typeof sql>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await deleted(deps.db, q());
      total += n;
      if (n < batch || stopped) return total;
    }
  }

  async function sweep(): Promise<SweepResult> {
    const result: SweepResult = { webhook_deliveries: 0, whatsapp_webhooks: 0, spam_leads: 0 };
    const { rawWebhookDays, spamDays } = deps.settings;
    if (rawWebhookDays > 0) {
      const before = new Date(now() - rawWebhookDays * DAY_MS);
      result.webhook_deliveries = await drain(
        () => sql`delete from webhook_deliveries where id in (
                    select id from webhook_deliveries where received_at < ${before} and status <> 'pending' order by id limit ${batch})
                  returning id`,
      );
      result.whatsapp_webhooks = await drain(
        () => sql`delete from whatsapp_webhooks where id in (
                    select id from whatsapp_webhooks where received_at < ${before} order by id limit ${batch})
                  returning id`,
      );
    }
    if (spamDays > 0 && !stopped) {
      const before = new Date(now() - spamDays * DAY_MS);
      // Their timeline and consent records go with them (on delete cascade).
      result.spam_leads = await drain(
        () => sql`delete from leads where id in (
                    select id from leads where status = 'spam' and created_at < ${before} order by created_at limit ${batch})
                  returning id`,
      );
    }
    return result;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      const run = sweep().then(
        (r) => {
          if (r.webhook_deliveries + r.whatsapp_webhooks + r.spam_leads > 0) deps.logger?.info(r, 'retention: old raw bodies and spam leads deleted');
        },
        (err: unknown) => deps.logger?.warn({ err }, 'retention sweep failed; the next one retries'),
      );
      running = run.finally(() => {
        running = undefined;
        schedule(deps.intervalMs ?? 3_600_000);
      });
    }, ms);
    timer.unref();
  }

  return {
    sweep,
    start() {
      const { rawWebhookDays, spamDays } = deps.settings;
      if (rawWebhookDays === 0 && spamDays === 0) return;
      stopped = false;
      if (!timer && !running) schedule(deps.firstDelayMs ?? 60_000);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
