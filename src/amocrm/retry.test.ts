import { describe, expect, it } from 'vitest';
import { AmoApiError, AmoConnectionError, AmoTimeoutError, AmoCircuitOpenError } from './errors.js';
import { retryDelayMs, shouldRetry } from './retry.js';

const h = (init: Record<string, string> = {}) => new Headers(init);
const api = (status: number, body = '', headers: Record<string, string> = {}) => AmoApiError.from(status, body, h(headers));

describe('retryDelayMs', () => {
  it('grows exponentially from 0.5 s and caps at 8 s', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 5, 9].map((a) => retryDelayMs(a, null, noJitter))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('subtracts up to 25 % jitter', () => {
    expect(retryDelayMs(0, null, () => 1)).toBe(375);
    expect(retryDelayMs(4, null, () => 0.5)).toBe(7000);
  });

  it('honours a sane Retry-After and ignores an absurd one', () => {
    expect(retryDelayMs(0, 1200, () => 0)).toBe(1200);
    expect(retryDelayMs(3, 0, () => 0)).toBe(0);
    expect(retryDelayMs(1, 300_000, () => 0)).toBe(1000);
  });
});

describe('shouldRetry', () => {
  it('retries 429 and 5xx for GET until maxRetries', () => {
    expect(shouldRetry(api(429), 0, 2, 'GET')).toBe(true);
    expect(shouldRetry(api(500), 1, 2, 'GET')).toBe(true);
    expect(shouldRetry(api(502), 2, 2, 'GET')).toBe(false);
  });

  it('never retries client errors', () => {
    for (const s of [400, 401, 402, 403, 404, 422]) expect(shouldRetry(api(s), 0, 3, 'GET')).toBe(false);
  });

  it('retries a POST only on 429, 503 and a connection that provably never opened', () => {
    expect(shouldRetry(api(429), 0, 2, 'POST')).toBe(true);
    expect(shouldRetry(api(503), 0, 2, 'POST')).toBe(true);
    expect(shouldRetry(api(500), 0, 2, 'POST')).toBe(false);
    expect(shouldRetry(api(504), 0, 2, 'PATCH')).toBe(false);
    expect(shouldRetry(new AmoConnectionError('refused', { neverSent: true }), 0, 2, 'POST')).toBe(true);
    expect(shouldRetry(new AmoConnectionError('reset', { neverSent: false }), 0, 2, 'POST')).toBe(false);
    expect(shouldRetry(new AmoTimeoutError(), 0, 2, 'POST')).toBe(false);
    expect(shouldRetry(new AmoTimeoutError(), 0, 2, 'PATCH')).toBe(false);
  });

  it('retries timeouts and resets for idempotent methods', () => {
    expect(shouldRetry(new AmoTimeoutError(), 0, 2, 'GET')).toBe(true);
    expect(shouldRetry(new AmoConnectionError('reset'), 0, 2, 'DELETE')).toBe(true);
  });

  it('does not sleep through a Retry-After beyond 60 s', () => {
    expect(shouldRetry(api(429, '', { 'retry-after': '61' }), 0, 2, 'GET')).toBe(false);
    expect(shouldRetry(api(429, JSON.stringify({ status: 429, retry_after: 300 })), 0, 2, 'GET')).toBe(false);
    expect(shouldRetry(api(429, JSON.stringify({ status: 429, retry_after: 1 })), 0, 2, 'GET')).toBe(true);
  });

  it('never retries local refusals or unknown errors', () => {
    expect(shouldRetry(new AmoCircuitOpenError(1), 0, 2, 'GET')).toBe(false);
    expect(shouldRetry(new Error('boom'), 0, 2, 'GET')).toBe(false);
  });
});
