// The SDK reads the shared fixtures (real response shapes) so its parsing cannot drift from the emulator's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AmoApiError,
  AmoAuthError,
  AmoPaymentRequiredError,
  AmoRateLimitError,
  AmoUnprocessableError,
  AmoValidationError,
} from './errors.js';
import { complexResultsByRequestId } from './resources/leads.js';
import { AmoClient } from './client.js';
import { MemoryTokenStore } from './tokens.js';
import type { ComplexResultItem } from './types.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const problem = new Headers({ 'content-type': 'application/problem+json' });

describe('fixtures', () => {
  it('maps the error fixtures to their classes', () => {
    const v = AmoApiError.from(400, fixture('validation-error.json'), problem);
    expect(v).toBeInstanceOf(AmoValidationError);
    expect((v as AmoValidationError).validationErrors[0]?.errors.map((e) => e.code)).toEqual(['NotSupportedChoice', 'InvalidType']);
    const r = AmoApiError.from(429, fixture('rate-limit-429.json'), problem);
    expect(r).toBeInstanceOf(AmoRateLimitError);
    expect((r as AmoRateLimitError).retryAfterMs).toBe(300_000);
    const h = AmoApiError.from(429, fixture('rate-limit-429.html'), new Headers({ 'content-type': 'text/html' }));
    expect(h.isHtml).toBe(true);
    expect((AmoApiError.from(401, fixture('oauth-401.json'), problem) as AmoAuthError).hint).toBe('Token has been revoked');
    expect(AmoApiError.from(402, fixture('payment-required-402.json'), problem)).toBeInstanceOf(AmoPaymentRequiredError);
    expect(AmoApiError.from(422, fixture('limit-422.json'), problem)).toBeInstanceOf(AmoUnprocessableError);
  });

  it('matches complex results by request_id', () => {
    const res = JSON.parse(fixture('complex-response.json')) as ComplexResultItem[];
    expect(complexResultsByRequestId(res).get('qweasd')).toMatchObject({ id: 15198335, merged: false });
  });

  it('reads a leads page fixture as a list page with a re-based next link', async () => {
    const body = fixture('leads-page.json');
    const client = new AmoClient({
      domain: 'example.amocrm.ru',
      tokens: new MemoryTokenStore({ accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, kind: 'oauth' }),
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/hal+json' } }),
    });
    const page = await client.leads.list({ limit: 1, page: 2 });
    expect(page.page).toBe(2);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.nextUrl).toBe('https://example.amocrm.ru/api/v4/leads?limit=1&page=3');
  });
});
