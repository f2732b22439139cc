// Meta's subscription handshake, played against an app (fact sheet §4.1): GET <url>?hub.mode=subscribe&
// hub.verify_token=…&hub.challenge=… must answer 200 with the challenge as the body.
import { randomInt } from 'node:crypto';

export async function verifyWebhook(url: string, verifyToken: string): Promise<{ ok: boolean; status: number }> {
  const challenge = String(randomInt(1_000_000_000, 2_000_000_000));
  const u = new URL(url);
  u.searchParams.set('hub.mode', 'subscribe');
  u.searchParams.set('hub.verify_token', verifyToken);
  u.searchParams.set('hub.challenge', challenge);
  const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  return { ok: res.status === 200 && body === challenge, status: res.status };
}
