import { describe, expect, it } from 'vitest';
import {
  AmoApiError,
  AmoAuthError,
  AmoForbiddenError,
  AmoNotFoundError,
  AmoPaymentRequiredError,
  AmoRateLimitError,
  AmoServerError,
  AmoUnprocessableError,
  AmoValidationError,
  parseRetryAfter,
} from './errors.js';

const problemHeaders = { 'content-type': 'application/problem+json', 'x-request-id': 'req-1' };

describe('AmoApiError.from', () => {
  it('maps statuses to classes', () => {
    const cases: [number, new (...a: never[]) => AmoApiError][] = [
      [400, AmoValidationError],
      [401, AmoAuthError],
      [402, AmoPaymentRequiredError],
      [403, AmoForbiddenError],
      [404, AmoNotFoundError],
      [422, AmoUnprocessableError],
      [429, AmoRateLimitError],
      [500, AmoServerError],
      [504, AmoServerError],
    ];
    for (const [status, cls] of cases) expect(AmoApiError.from(status, '', new Headers())).toBeInstanceOf(cls);
    expect(AmoApiError.from(405, '', new Headers()).constructor).toBe(AmoApiError);
  });

  it('parses problem+json validation errors and the request id', () => {
    const body = JSON.stringify({
      'validation-errors': [
        { request_id: '0', errors: [{ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail: 'bad' }] },
      ],
      title: 'Bad Request',
      status: 400,
      detail: 'Request validation failed',
    });
    const err = AmoApiError.from(400, body, new Headers(problemHeaders));
    expect(err).toBeInstanceOf(AmoValidationError);
    expect(err.requestId).toBe('req-1');
    expect(err.retryable).toBe(false);
    expect((err as AmoValidationError).validationErrors).toEqual([
      { requestId: '0', errors: [{ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail: 'bad' }] },
    ]);
    expect(err.message).toContain('Request validation failed');
  });

  it('exposes the OAuth hint on 401', () => {
    const err = AmoApiError.from(401, JSON.stringify({ hint: 'Token has been revoked', status: 401 }), new Headers());
    expect((err as AmoAuthError).hint).toBe('Token has been revoked');
  });

  it('handles an HTML 403 block page without throwing', () => {
    const err = AmoApiError.from(403, '<html><body><h1>403 Forbidden</h1></body></html>', new Headers({ 'content-type': 'text/html' }));
    expect(err).toBeInstanceOf(AmoForbiddenError);
    expect(err.isHtml).toBe(true);
    expect(err.problem).toBeUndefined();
  });

  it('reads 429 Retry-After from the header, else JSON retry_after, and copes with HTML', () => {
    const a = AmoApiError.from(429, '', new Headers({ 'retry-after': '2' })) as AmoRateLimitError;
    expect(a.retryAfterMs).toBe(2000);
    const b = AmoApiError.from(429, JSON.stringify({ status: 429, retry_after: 300 }), new Headers()) as AmoRateLimitError;
    expect(b.retryAfterMs).toBe(300_000);
    const c = AmoApiError.from(429, '<html>Too Many Requests</html>', new Headers({ 'content-type': 'text/html' })) as AmoRateLimitError;
    expect(c.retryAfterMs).toBeNull();
    expect(c.isHtml).toBe(true);
    expect(c.retryable).toBe(true);
  });

  it('keeps query strings (phones, emails) out of the message', () => {
    const body = JSON.stringify({ status: 404, title: 'Not Found', detail: 'Cannot GET https://a.amocrm.ru/api/v4/x?query=79121234567' });
    const err = AmoApiError.from(404, body, new Headers());
    expect(err.message).toContain('https://a.amocrm.ru/api/v4/x?…');
    expect(err.message).not.toContain('79121234567');
  });

  it('survives a non-JSON, non-HTML body', () => {
    const err = AmoApiError.from(502, 'Bad gateway', new Headers());
    expect(err).toBeInstanceOf(AmoServerError);
    expect(err.problem).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('parses seconds and HTTP dates', () => {
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
