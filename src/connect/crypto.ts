// Connection crypto: secrets at rest (tokens), the OAuth `state` parameter, and amoCRM's disable-hook signature.
//
// Key: `LEADBRIDGE_SECRET_KEY` is parsed by `parseSecretKey`:
//   - 64 hex characters            → those 32 bytes;
//   - base64 / base64url of 32 bytes → those bytes;
//   - anything else (≥ 12 chars)   → a passphrase, stretched with scrypt (N=2^15, r=8, p=1) and a fixed,
//     versioned salt, so the same passphrase always gives the same key. Prefer a random key: `generateKey()`.
// Encryption uses that key directly (AES-256-GCM); state tokens use an HKDF-derived sub-key, so one key
// is never used for two algorithms.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { AppError } from '../errors.js';

export type CryptoErrorCode = 'KEY_INVALID' | 'SECRET_MALFORMED' | 'SECRET_VERSION' | 'SECRET_AUTH_FAILED';

export class CryptoError extends AppError<CryptoErrorCode> {}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const PASSPHRASE_SALT = 'leadbridge/secret-key/v1';
const STATE_INFO = 'leadbridge/oauth-state/v1';

/** A fresh random key as 64 hex characters, ready for `LEADBRIDGE_SECRET_KEY`. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** Turns `LEADBRIDGE_SECRET_KEY` (hex, base64/base64url or a passphrase) into a 32-byte key. */
export function parseSecretKey(raw: string): Buffer {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  if (text.length < 12) {
    throw new CryptoError(
      'KEY_INVALID',
      'LEADBRIDGE_SECRET_KEY is too short: use 64 hex characters (see `generateKey`) or a passphrase of 12+ characters',
    );
  }
  return scryptSync(text, PASSPHRASE_SALT, KEY_BYTES, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) {
    throw new CryptoError('KEY_INVALID', `the secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function fromB64u(part: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new CryptoError('SECRET_MALFORMED', 'not base64url');
  return Buffer.from(part, 'base64url');
}

/**
 * AES-256-GCM with a random 12-byte IV. Output: `v1:<iv>:<tag>:<ciphertext>` (base64url parts).
 * `context` (optional) is bound as associated data: decrypting needs the same context (e.g. the account id).
 */
export function encryptSecret(plaintext: string, key: Uint8Array, context?: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, b64u(iv), b64u(cipher.getAuthTag()), b64u(ct)].join(':');
}

/** Reverses `encryptSecret`. Throws `CryptoError` (SECRET_AUTH_FAILED on a wrong key or tampering). */
export function decryptSecret(blob: string, key: Uint8Array, context?: string): string {
  checkKey(key);
  const parts = blob.split(':');
  if (parts[0] !== VERSION) {
    throw new CryptoError(parts.length === 4 ? 'SECRET_VERSION' : 'SECRET_MALFORMED', 'unknown secret format');
  }
  if (parts.length !== 4) throw new CryptoError('SECRET_MALFORMED', 'a v1 secret has four parts');
  const iv = fromB64u(parts[1] ?? '');
  const tag = fromB64u(parts[2] ?? '');
  const ct = fromB64u(parts[3] ?? '');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new CryptoError('SECRET_MALFORMED', 'bad IV or tag length');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new CryptoError('SECRET_AUTH_FAILED', 'the secret cannot be decrypted: wrong key or altered data', {
      cause,
    });
  }
}

// ---------------------------------------------------------------- OAuth state

export type StatePayload = Record<string, unknown>;

export type StateCheck =
  | { ok: true; payload: StatePayload; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

function stateKey(key: Uint8Array): Buffer {
  checkKey(key);
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), STATE_INFO, KEY_BYTES));
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body, 'utf8').digest();
}

/**
 * A signed, expiring OAuth `state`: `<base64url(json)>.<base64url(hmac-sha256)>`. The payload is signed,
 * not encrypted: put ids in it, never secrets. A random nonce makes every token unique.
 */
export function signState(payload: StatePayload, key: Uint8Array, ttlMs: number, now: number = Date.now()): string {
  const body = b64u(
    Buffer.from(JSON.stringify({ p: payload, exp: now + ttlMs, n: randomBytes(12).toString('base64url') }), 'utf8'),
  );
  return `${body}.${b64u(mac(stateKey(key), body))}`;
}

/** Checks a `signState` token. Signature first, then expiry, so a forged token never reads as "expired". */
export function verifyState(token: string, key: Uint8Array, now: number = Date.now()): StateCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const body = token.slice(0, dot);
  const sigText = token.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(sigText)) return { ok: false, reason: 'malformed' };
  const expected = mac(stateKey(key), body);
  const given = Buffer.from(sigText, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isRecord(parsed) || typeof parsed.exp !== 'number' || !isRecord(parsed.p)) {
    return { ok: false, reason: 'malformed' };
  }
  if (now >= parsed.exp) return { ok: false, reason: 'expired' };
  return { ok: true, payload: parsed.p, expiresAt: parsed.exp };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------- disable hook (fact sheet §2.10)

/**
 * amoCRM's uninstall hook: `signature == hex(HMAC-SHA256(key=client_secret, msg="{client_id}|{account_id}"))`,
 * compared in constant time. The caller also checks that `client_uuid` equals its client id.
 */
export function verifyDisableHookSignature(
  hook: { clientId: string; accountId: string | number; signature: string },
  clientSecret: string,
): boolean {
  const sig = hook.signature.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sig)) return false;
  const expected = createHmac('sha256', clientSecret).update(`${hook.clientId}|${hook.accountId}`, 'utf8').digest();
  return timingSafeEqual(Buffer.from(sig, 'hex'), expected);
}
