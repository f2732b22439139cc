// Signed unsubscribe tokens: the enrolment id (32 hex) + '.' + HMAC-SHA256 over it (first 16 bytes, base64url).
// Short enough for a path segment; the token is the only credential of the one-click POST (RFC 8058).
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signUnsubscribe(key: string, enrolmentId: string): string {
  const body = enrolmentId.replace(/-/g, '');
  return `${body}.${mac(key, body)}`;
}

/** The enrolment id of a valid token, else null. */
export function verifyUnsubscribe(key: string, token: string): string | null {
  const [body, sig] = token.split('.');
  if (!body || !sig || !/^[0-9a-f]{32}$/.test(body)) return null;
  const want = Buffer.from(mac(key, body));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  return `${body.slice(0, 8)}-${body.slice(8, 12)}-${body.slice(12, 16)}-${body.slice(16, 20)}-${body.slice(20)}`;
}

function mac(key: string, body: string): string {
  return createHmac('sha256', key).update(`unsubscribe:${body}`).digest().subarray(0, 16).toString('base64url');
}
