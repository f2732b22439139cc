import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  decryptSecret,
  encryptSecret,
  generateKey,
  parseSecretKey,
  signState,
  verifyDisableHookSignature,
  verifyState,
} from './crypto.js';

const key = parseSecretKey(generateKey());
const otherKey = parseSecretKey(generateKey());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CryptoError ? e.code : 'not a CryptoError';
  }
  return undefined;
}

/** Flips one bit of a base64url part of the blob. */
function tamper(blob: string, part: number): string {
  const parts = blob.split(':');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[part] = bytes.toString('base64url');
  return parts.join(':');
}

describe('parseSecretKey / generateKey', () => {
  it('generates 64 hex characters that parse to 32 bytes', () => {
    const hex = generateKey();
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(parseSecretKey(hex)).toEqual(Buffer.from(hex, 'hex'));
    expect(generateKey()).not.toBe(hex);
  });

  it('accepts base64 and base64url of 32 bytes', () => {
    const raw = randomBytes(32);
    expect(parseSecretKey(raw.toString('base64'))).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64url'))).toEqual(raw);
  });

  it('derives the same key from the same passphrase, a different one from another', () => {
    const a = parseSecretKey('correct horse battery staple');
    expect(a).toHaveLength(32);
    expect(parseSecretKey('correct horse battery staple')).toEqual(a);
    expect(parseSecretKey('correct horse battery stapler')).not.toEqual(a);
  });

  it('refuses a passphrase that is too short', () => {
    expect(codeOf(() => parseSecretKey('short'))).toBe('KEY_INVALID');
  });
});

describe('encryptSecret / decryptSecret', () => {
  it('round-trips unicode text in the v1 format with a fresh IV each time', () => {
    const secret = 'refresh-token-ЙЦУКЕН-🔑';
    const a = encryptSecret(secret, key);
    const b = encryptSecret(secret, key);
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh');
    expect(decryptSecret(a, key)).toBe(secret);
    expect(decryptSecret(b, key)).toBe(secret);
  });

  it('round-trips an empty string', () => {
    expect(decryptSecret(encryptSecret('', key), key)).toBe('');
  });

  it('fails with SECRET_AUTH_FAILED under the wrong key', () => {
    const blob = encryptSecret('token', key);
    expect(codeOf(() => decryptSecret(blob, otherKey))).toBe('SECRET_AUTH_FAILED');
  });

  it('detects tampering with the IV, the tag or the ciphertext', () => {
    const blob = encryptSecret('token value', key);
    for (const part of [1, 2, 3]) {
      expect(codeOf(() => decryptSecret(tamper(blob, part), key))).toBe('SECRET_AUTH_FAILED');
    }
  });

  it('binds the optional context', () => {
    const blob = encryptSecret('token', key, 'account:1');
    expect(decryptSecret(blob, key, 'account:1')).toBe('token');
    expect(codeOf(() => decryptSecret(blob, key, 'account:2'))).toBe('SECRET_AUTH_FAILED');
    expect(codeOf(() => decryptSecret(blob, key))).toBe('SECRET_AUTH_FAILED');
  });

  it('rejects malformed blobs and unknown versions with distinct codes', () => {
    const blob = encryptSecret('token', key);
    expect(codeOf(() => decryptSecret('plain text', key))).toBe('SECRET_MALFORMED');
    expect(codeOf(() => decryptSecret(blob.split(':').slice(0, 3).join(':'), key))).toBe('SECRET_MALFORMED');
    expect(codeOf(() => decryptSecret(blob.replace(/^v1/, 'v2'), key))).toBe('SECRET_VERSION');
    expect(codeOf(() => decryptSecret(blob.replace(/:[^:]+:/, ':AAAA:'), key))).toBe('SECRET_MALFORMED');
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(codeOf(() => encryptSecret('x', randomBytes(16)))).toBe('KEY_INVALID');
  });
});

describe('signState / verifyState', () => {
  const now = 1_700_000_000_000;

  it('verifies a fresh token and returns its payload', () => {
    const token = signState({ account: 'acme', returnTo: '/done' }, key, 600_000, now);
    const check = verifyState(token, key, now + 1_000);
    expect(check).toEqual({ ok: true, payload: { account: 'acme', returnTo: '/done' }, expiresAt: now + 600_000 });
    expect(signState({ a: 1 }, key, 1000, now)).not.toBe(signState({ a: 1 }, key, 1000, now));
  });

  it('rejects an expired token as expired', () => {
    const token = signState({ a: 1 }, key, 60_000, now);
    expect(verifyState(token, key, now + 59_999).ok).toBe(true);
    expect(verifyState(token, key, now + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a changed payload, a changed signature and the wrong key as bad_signature', () => {
    const token = signState({ role: 'user' }, key, 60_000, now);
    const [body, sig] = token.split('.') as [string, string];
    const forgedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), p: { role: 'admin' } }),
    ).toString('base64url');
    expect(verifyState(`${forgedBody}.${sig}`, key, now)).toEqual({ ok: false, reason: 'bad_signature' });
    const flipped = Buffer.from(sig, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(verifyState(`${body}.${flipped.toString('base64url')}`, key, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyState(token, otherKey, now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('reports a forged expired token as bad_signature, not expired', () => {
    const token = signState({ a: 1 }, otherKey, 1, now);
    expect(verifyState(token, key, now + 10)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects garbage as malformed', () => {
    for (const t of ['', 'abc', 'a.b.c', '.sig', 'body.', 'a b.c']) {
      expect(verifyState(t, key, now)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('verifyDisableHookSignature', () => {
  const clientId = '0f3c1e2a-1111-4222-8333-444455556666';
  const secret = 'client-secret-value';
  const sign = (msg: string, k = secret): string => createHmac('sha256', k).update(msg).digest('hex');

  it('accepts the documented HMAC of "client_id|account_id" (number or string id, any hex case)', () => {
    const signature = sign(`${clientId}|31234567`);
    expect(verifyDisableHookSignature({ clientId, accountId: 31234567, signature }, secret)).toBe(true);
    expect(verifyDisableHookSignature({ clientId, accountId: '31234567', signature: signature.toUpperCase() }, secret)).toBe(true);
  });

  it('rejects another account, another secret, a truncated or non-hex signature', () => {
    const signature = sign(`${clientId}|31234567`);
    expect(verifyDisableHookSignature({ clientId, accountId: 31234568, signature }, secret)).toBe(false);
    expect(verifyDisableHookSignature({ clientId, accountId: 31234567, signature }, 'other-secret')).toBe(false);
    expect(verifyDisableHookSignature({ clientId, accountId: 31234567, signature: signature.slice(0, 63) }, secret)).toBe(false);
    expect(verifyDisableHookSignature({ clientId, accountId: 31234567, signature: 'z'.repeat(64) }, secret)).toBe(false);
    expect(verifyDisableHookSignature({ clientId, accountId: 31234567, signature: sign(`31234567|${clientId}`) }, secret)).toBe(false);
  });
});
