import { describe, expect, it } from 'vitest';
import { AmoInvalidHostError } from './errors.js';
import { apiDomainOrigin, consentHost, decodeJwtClaims, parseAccountHost, tryParseAccountHost } from './hosts.js';

const jwt = (claims: object) =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('parseAccountHost', () => {
  it('accepts referer hosts on the three platforms', () => {
    expect(parseAccountHost('example.amocrm.ru')).toEqual({
      subdomain: 'example',
      tld: 'amocrm.ru',
      host: 'example.amocrm.ru',
      origin: 'https://example.amocrm.ru',
    });
    expect(parseAccountHost('Shop-1.Kommo.com').host).toBe('shop-1.kommo.com');
    expect(parseAccountHost('old.amocrm.com').tld).toBe('amocrm.com');
  });

  it('accepts a full URL and a bare subdomain with a default TLD', () => {
    expect(parseAccountHost('https://example.kommo.com/api/v4/leads?x=1').host).toBe('example.kommo.com');
    expect(parseAccountHost('example', { defaultTld: 'amocrm.ru' }).host).toBe('example.amocrm.ru');
  });

  it('rejects anything that could point the token elsewhere', () => {
    for (const bad of [
      'evil.com',
      'example.amocrm.ru.evil.com',
      'a.b.amocrm.ru',
      'amocrm.ru',
      'www.amocrm.ru',
      'https://example.amocrm.ru@evil.com',
      'https://user:pw@example.amocrm.ru',
      'https://example.amocrm.ru:8443',
      'example.amocrm.ru/x',
      'ex_ample.amocrm.ru',
      '-x.amocrm.ru',
      'ftp://example.amocrm.ru',
      'example',
      '',
    ]) {
      expect(() => parseAccountHost(bad), bad).toThrow(AmoInvalidHostError);
    }
    expect(tryParseAccountHost('evil.com')).toBeNull();
  });
});

describe('consentHost', () => {
  it('uses www.amocrm.ru for .ru and www.kommo.com otherwise', () => {
    expect(consentHost(parseAccountHost('a.amocrm.ru'))).toBe('www.amocrm.ru');
    expect(consentHost(parseAccountHost('a.kommo.com'))).toBe('www.kommo.com');
    expect(consentHost('amocrm.com')).toBe('www.kommo.com');
  });
});

describe('decodeJwtClaims', () => {
  it('reads exp, api_domain and account_id without verifying', () => {
    const claims = decodeJwtClaims(jwt({ exp: 1700000000, api_domain: 'api-a.amocrm.ru', account_id: 42, jti: 'x' }));
    expect(claims).toMatchObject({ exp: 1700000000, api_domain: 'api-a.amocrm.ru', account_id: 42, jti: 'x' });
  });

  it('returns null for garbage and drops mistyped claims', () => {
    expect(decodeJwtClaims('not-a-jwt')).toBeNull();
    expect(decodeJwtClaims('a.!!!.c')).toBeNull();
    expect(decodeJwtClaims(jwt({ exp: 'soon', account_id: '7' }))).toEqual({ account_id: 7 });
  });
});

describe('apiDomainOrigin', () => {
  it('accepts a bare label or a full host on amoCRM only', () => {
    expect(apiDomainOrigin('api-a')).toBe('https://api-a.amocrm.ru');
    expect(apiDomainOrigin('api-b.kommo.com')).toBe('https://api-b.kommo.com');
    expect(apiDomainOrigin('https://api-c.amocrm.ru/')).toBe('https://api-c.amocrm.ru');
    expect(apiDomainOrigin('api.evil.com')).toBeNull();
  });
});
