// Account hosts (fact sheet §1): {sub}.amocrm.ru, {sub}.kommo.com and legacy {sub}.amocrm.com. The OAuth callback
// `referer` names the host; we validate it strictly so a forged referer can never point our token at another host.
import { AmoInvalidHostError } from './errors.js';

export type AmoTld = 'amocrm.ru' | 'amocrm.com' | 'kommo.com';
export const AMO_TLDS: readonly AmoTld[] = ['amocrm.ru', 'amocrm.com', 'kommo.com'];

export interface AccountHost {
  subdomain: string;
  tld: AmoTld;
  /** `{subdomain}.{tld}` */
  host: string;
  /** `https://{host}` */
  origin: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED = new Set(['www']);

/**
 * Parse an account host from a referer, a domain setting, a full URL, or a bare subdomain (with `defaultTld`).
 * Throws AmoInvalidHostError for anything that is not exactly `{label}.{amocrm.ru|amocrm.com|kommo.com}`.
 */
export function parseAccountHost(input: string, opts: { defaultTld?: AmoTld } = {}): AccountHost {
  const raw = input.trim().toLowerCase();
  if (raw === '') throw new AmoInvalidHostError('empty amoCRM host');
  let host: string;
  if (raw.includes('://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AmoInvalidHostError('unparseable amoCRM URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AmoInvalidHostError('amoCRM URL must be http(s)');
    if (url.username || url.password || url.port) throw new AmoInvalidHostError('amoCRM URL must not carry credentials or a port');
    host = url.hostname;
  } else {
    if (/[/?#@:\\\s]/.test(raw)) throw new AmoInvalidHostError('amoCRM host contains invalid characters');
    host = raw;
  }
  if (!host.includes('.')) {
    if (!opts.defaultTld) throw new AmoInvalidHostError('bare subdomain given without a default TLD');
    host = `${host}.${opts.defaultTld}`;
  }
  const tld = AMO_TLDS.find((t) => host.endsWith(`.${t}`));
  if (!tld) throw new AmoInvalidHostError('not an amoCRM/Kommo host');
  const subdomain = host.slice(0, -(tld.length + 1));
  if (!LABEL.test(subdomain) || RESERVED.has(subdomain)) throw new AmoInvalidHostError('invalid amoCRM subdomain');
  return { subdomain, tld, host, origin: `https://${host}` };
}

export function tryParseAccountHost(input: string, opts: { defaultTld?: AmoTld } = {}): AccountHost | null {
  try {
    return parseAccountHost(input, opts);
  } catch {
    return null;
  }
}

/** The OAuth consent page host: www.amocrm.ru for .ru accounts, www.kommo.com for kommo.com / amocrm.com. */
export function consentHost(account: AccountHost | AmoTld): 'www.amocrm.ru' | 'www.kommo.com' {
  const tld = typeof account === 'string' ? account : account.tld;
  return tld === 'amocrm.ru' ? 'www.amocrm.ru' : 'www.kommo.com';
}

export interface AmoJwtClaims {
  exp?: number;
  iat?: number;
  api_domain?: string;
  account_id?: number;
  [claim: string]: unknown;
}

/** Decode a JWT payload WITHOUT verifying it (we only read hints: exp, api_domain, account_id). */
export function decodeJwtClaims(token: string): AmoJwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const json = Buffer.from(parts[1], 'base64url').toString('utf8');
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const claims = parsed as Record<string, unknown>;
    const out: AmoJwtClaims = { ...claims };
    if (typeof claims.exp !== 'number') delete out.exp;
    if (typeof claims.iat !== 'number') delete out.iat;
    if (typeof claims.api_domain !== 'string') delete out.api_domain;
    if (typeof claims.account_id === 'string' && /^\d+$/.test(claims.account_id)) out.account_id = Number(claims.account_id);
    else if (typeof claims.account_id !== 'number') delete out.account_id;
    return out;
  } catch {
    return null;
  }
}

/**
 * The `api_domain` claim as an https origin. The docs show both a bare label (`api-a`) and a full host
 * (`api-a.amocrm.ru`), so both are accepted; anything outside amoCRM/Kommo is rejected.
 */
export function apiDomainOrigin(apiDomain: string, defaultTld: AmoTld = 'amocrm.ru'): string | null {
  const raw = apiDomain.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const host = raw.includes('.') ? raw : `${raw}.${defaultTld}`;
  const tld = AMO_TLDS.find((t) => host.endsWith(`.${t}`));
  if (!tld) return null;
  const label = host.slice(0, -(tld.length + 1));
  return LABEL.test(label) ? `https://${host}` : null;
}
