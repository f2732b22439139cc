import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWebhook, WebhookParseError } from './index.js';
import type { WebhookParseErrorCode } from './index.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_CT = 'application/json';

function codeOf(fn: () => unknown): WebhookParseErrorCode | 'NO_ERROR' {
  try {
    fn();
    return 'NO_ERROR';
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookParseError);
    return (err as WebhookParseError).code;
  }
}

function notPolluted(): void {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('parseWebhook against hostile bodies', () => {
  afterEach(notPolluted);

  it.each([
    '__proto__[polluted]=1',
    '__proto__%5Bpolluted%5D=1',
    'constructor[prototype][x]=1',
    'leads[add][0][__proto__][polluted]=1',
    'leads[constructor][prototype][polluted]=1',
    'leads[add][0][prototype]=1',
  ])('rejects prototype keys in %s as MALFORMED', (body) => {
    expect(codeOf(() => parseWebhook(body, FORM))).toBe('MALFORMED');
  });

  it('rejects prototype keys in JSON bodies', () => {
    expect(codeOf(() => parseWebhook('{"__proto__":{"polluted":1}}', JSON_CT))).toBe('MALFORMED');
    expect(codeOf(() => parseWebhook('{"leads":{"constructor":{"prototype":{"x":1}}}}', JSON_CT))).toBe('MALFORMED');
  });

  it.each([
    ['form raw byte', 'leads[add][0][id]=5&leads[add][0][name]=a\u0000b', FORM],
    ['form %00 value', 'leads[add][0][id]=5&leads[add][0][name]=a%00b', FORM],
    ['form %00 key', 'leads[add][0][na%00me]=x&leads[add][0][id]=5', FORM],
    ['JSON \\u0000 value', '{"leads":{"add":[{"id":7,"name":"a\\u0000b"}]}}', JSON_CT],
    ['JSON \\u0000 key', '{"leads":{"add":[{"id":7,"n\\u0000":"x"}]}}', JSON_CT],
  ])('rejects a NUL character (%s) as MALFORMED', (_what, body, ct) => {
    expect(codeOf(() => parseWebhook(body, ct))).toBe('MALFORMED');
  });

  it('allows prototype words as values', () => {
    const parsed = parseWebhook('leads[add][0][id]=1&leads[add][0][name]=__proto__', FORM);
    expect(parsed.events[0]).toMatchObject({ entity: 'lead', data: { id: 1, name: '__proto__' } });
  });

  it('rejects a key 1000 levels deep as TOO_DEEP (form and JSON)', () => {
    expect(codeOf(() => parseWebhook(`a${'[b]'.repeat(1000)}=1`, FORM))).toBe('TOO_DEEP');
    expect(codeOf(() => parseWebhook(`a${'%5Bb%5D'.repeat(1000)}=1`, FORM))).toBe('TOO_DEEP');
    const deepJson = `{"a":${'{"b":'.repeat(1000)}1${'}'.repeat(1000)}}`;
    expect(codeOf(() => parseWebhook(deepJson, JSON_CT))).toBe('TOO_DEEP');
  });

  it('accepts exactly the depth limit', () => {
    expect(codeOf(() => parseWebhook(`a${'[b]'.repeat(12)}=1`, FORM))).toBe('NO_ERROR');
    expect(codeOf(() => parseWebhook(`a${'[b]'.repeat(13)}=1`, FORM))).toBe('TOO_DEEP');
    expect(codeOf(() => parseWebhook(`a${'[b]'.repeat(3)}=1`, FORM, { maxDepth: 2 }))).toBe('TOO_DEEP');
  });

  it('rejects 100k keys as TOO_MANY_KEYS (form and JSON)', () => {
    const pairs = Array.from({ length: 100_000 }, (_, i) => `k${i}=1`).join('&');
    expect(codeOf(() => parseWebhook(pairs, FORM))).toBe('TOO_MANY_KEYS');
    const obj = JSON.stringify({ leads: { add: Array.from({ length: 100_000 }, (_, i) => i) } });
    expect(['TOO_MANY_KEYS', 'ARRAY_TOO_LARGE']).toContain(codeOf(() => parseWebhook(obj, JSON_CT)));
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, 1])));
    expect(codeOf(() => parseWebhook(wide, JSON_CT))).toBe('TOO_MANY_KEYS');
  });

  it('rejects list index 99999999 as ARRAY_TOO_LARGE but allows id-keyed linked_leads_id', () => {
    expect(codeOf(() => parseWebhook('leads[add][99999999][id]=1', FORM))).toBe('ARRAY_TOO_LARGE');
    expect(codeOf(() => parseWebhook('leads[add][0][tags][10001][id]=1', FORM))).toBe('ARRAY_TOO_LARGE');
    expect(codeOf(() => parseWebhook('leads[add][0][tags][10000][id]=1', FORM))).toBe('NO_ERROR');
    expect(codeOf(() => parseWebhook('leads[add][99999999999999999999999][id]=1', FORM))).toBe('ARRAY_TOO_LARGE');
    const ok = parseWebhook('contacts[add][0][id]=1&contacts[add][0][linked_leads_id][99999999][ID]=99999999', FORM);
    expect(ok.events[0]).toMatchObject({ entity: 'contact', data: { linkedLeadsId: [99999999] } });
    const big = JSON.stringify({ leads: { add: { '99999999': { id: 1 } } } });
    expect(codeOf(() => parseWebhook(big, JSON_CT))).toBe('ARRAY_TOO_LARGE');
  });

  it('rejects `[]` appends past the index limit', () => {
    const body = Array.from({ length: 12 }, () => 'a[]=1').join('&');
    expect(codeOf(() => parseWebhook(body, FORM, { maxIndex: 10 }))).toBe('ARRAY_TOO_LARGE');
  });

  it('rejects a 5 MB body as BODY_TOO_LARGE before parsing (string and Buffer)', () => {
    const big = `leads[add][0][name]=${'x'.repeat(5 * 1024 * 1024)}`;
    expect(codeOf(() => parseWebhook(big, FORM))).toBe('BODY_TOO_LARGE');
    expect(codeOf(() => parseWebhook(Buffer.from(big), JSON_CT))).toBe('BODY_TOO_LARGE');
    expect(codeOf(() => parseWebhook('a=12345', FORM, { maxBodyBytes: 4 }))).toBe('BODY_TOO_LARGE');
  });

  it('counts bytes, not characters, against the size limit', () => {
    const cyr = `a=${'я'.repeat(600_000)}`; // 1.2 MB of UTF-8 in 600k chars
    expect(codeOf(() => parseWebhook(cyr, FORM))).toBe('BODY_TOO_LARGE');
  });

  it('reports empty bodies and unsupported content types', () => {
    expect(codeOf(() => parseWebhook('', FORM))).toBe('EMPTY');
    expect(codeOf(() => parseWebhook('  \n', FORM))).toBe('EMPTY');
    expect(codeOf(() => parseWebhook('&&&', FORM))).toBe('EMPTY');
    expect(codeOf(() => parseWebhook('{}', JSON_CT))).toBe('EMPTY');
    expect(codeOf(() => parseWebhook('a=1', 'text/plain'))).toBe('UNSUPPORTED_CONTENT_TYPE');
    expect(codeOf(() => parseWebhook('a=1', ''))).toBe('UNSUPPORTED_CONTENT_TYPE');
    expect(codeOf(() => parseWebhook('a=1', undefined))).toBe('UNSUPPORTED_CONTENT_TYPE');
    expect(codeOf(() => parseWebhook('a=1', 'multipart/form-data; boundary=x'))).toBe('UNSUPPORTED_CONTENT_TYPE');
  });

  it('reports malformed keys and JSON', () => {
    for (const body of ['[a]=1', 'a[b=1', 'a]b=1', 'a[b]c=1', 'a[b[c]]=1', '=1']) {
      expect(codeOf(() => parseWebhook(body, FORM)), body).toBe('MALFORMED');
    }
    for (const body of ['{', '[1,2]', '"str"', 'null', '{"a":1}x']) {
      expect(codeOf(() => parseWebhook(body, JSON_CT)), body).toBe('MALFORMED');
    }
  });

  it('decodes broken percent-escapes and invalid UTF-8 leniently', () => {
    const parsed = parseWebhook('leads[add][0][id]=1&leads[add][0][name]=100%25+%zz+%D0%9F%FF', FORM);
    expect(parsed.events[0]).toMatchObject({ data: { id: 1, name: '100% %zz П\uFFFD' } });
  });

  it('never throws anything but WebhookParseError on random bytes', () => {
    const alphabet = 'ab[]%5B%5D=&+0123456789_';
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(1 + (i % 200));
      const noisy = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
      for (const body of [bytes, noisy, `{${noisy}}`, bytes.toString('latin1')]) {
        for (const ct of [FORM, JSON_CT]) {
          const code = codeOf(() => parseWebhook(body, ct));
          expect(typeof code).toBe('string');
        }
      }
    }
  });
});
