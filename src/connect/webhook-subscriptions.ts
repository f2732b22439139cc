// Our own webhook subscriptions in amoCRM. Changing PORT, LEADBRIDGE_PUBLIC_URL or the webhook secret gives a new
// webhook URL; `setup` subscribes it, and the old one would stay subscribed (amoCRM keeps calling it, and it counts
// against the account's 100 webhooks). A subscription is OURS when its destination's path is Leadbridge's webhook
// route (/api/webhooks/amo/<secret>, or /api/webhooks/amo?secret=…), whatever its host; setup removes every one of
// ours but the current URL, and doctor flags them. Other integrations' webhooks are never touched.
import { AmoApiError, type AmoClient, type WebhookSubscription } from '../amocrm/index.js';
import { maskUrl } from '../provision/index.js';

export const WEBHOOK_PATH = '/api/webhooks/amo';

/** True when `destination` is a Leadbridge webhook URL (any host, any secret). */
export function isOurWebhook(destination: string): boolean {
  let u: URL;
  try {
    u = new URL(destination);
  } catch {
    return false;
  }
  const path = u.pathname.replace(/\/+$/, '');
  return path === WEBHOOK_PATH || (path.startsWith(`${WEBHOOK_PATH}/`) && !path.slice(WEBHOOK_PATH.length + 1).includes('/'));
}

/** Our subscriptions other than the current URL: left behind by an earlier PORT / public URL / secret. */
export function staleWebhooks(subscriptions: readonly WebhookSubscription[], currentUrl: string): WebhookSubscription[] {
  return subscriptions.filter((s) => s.destination !== currentUrl && isOurWebhook(s.destination));
}

export interface ReplaceResult {
  /** The removed (or, on a dry run, to-be-removed) destinations, masked (they contain old secrets). */
  removed: string[];
}

/**
 * Removes our stale subscriptions (everything `staleWebhooks` finds). A dry run only lists them. A destination
 * amoCRM no longer has (404: removed meanwhile) counts as removed.
 */
export async function removeStaleWebhooks(amo: AmoClient, currentUrl: string, opts: { dryRun?: boolean } = {}): Promise<ReplaceResult> {
  const stale = staleWebhooks(await amo.webhooks.list(), currentUrl);
  const removed: string[] = [];
  for (const s of stale) {
    if (!opts.dryRun) {
      try {
        await amo.webhooks.unsubscribe(s.destination);
      } catch (e) {
        if (!(e instanceof AmoApiError) || e.status !== 404) throw e;
      }
    }
    removed.push(maskUrl(s.destination));
  }
  return { removed };
}
