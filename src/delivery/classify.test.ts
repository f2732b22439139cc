import { describe, expect, it } from 'vitest';
import {
  AmoApiError,
  AmoCircuitOpenError,
  AmoConnectionError,
  AmoReconnectRequiredError,
  AmoTimeoutError,
} from '../amocrm/index.js';
import { backoffMs, classifyError } from './classify.js';

const api = (status: number, body = '{}') => AmoApiError.from(status, body, new Headers({ 'content-type': 'application/problem+json' }));

describe('classifyError', () => {
  it.each([
    [api(400, '{"validation-errors":[]}'), 'permanent', 'validation', false],
    [api(422), 'permanent', 'http_422', false],
    [api(404), 'permanent', 'http_404', false],
    [api(429), 'transient', 'rate_limited', false],
    [api(503), 'transient', 'server_503', false],
    [api(500), 'transient', 'server_500', true],
    [api(504), 'transient', 'server_504', true],
    [api(402), 'hold', 'payment_required', false],
    [api(403), 'hold', 'forbidden', false],
    [api(401), 'hold', 'unauthorized', false],
    [new AmoTimeoutError(), 'transient', 'timeout', true],
    [new AmoConnectionError('reset', { neverSent: false }), 'transient', 'connection', true],
    [new AmoConnectionError('refused', { neverSent: true }), 'transient', 'connection_refused', false],
    [new AmoReconnectRequiredError('refresh_rejected'), 'hold', 'reconnect_required', false],
    [new Error('database went away'), 'transient', 'internal', true],
  ])('%s → %s %s (unknown outcome %s)', (err, kind, reason, unknown) => {
    expect(classifyError(err)).toMatchObject({ kind, reason, unknownOutcome: unknown });
  });

  it('holds until the circuit closes', () => {
    const c = classifyError(new AmoCircuitOpenError(10_000 + 42_000), 10_000);
    expect(c).toMatchObject({ kind: 'hold', reason: 'circuit_open', retryAfterMs: 42_000 });
  });

  it('passes a 429 Retry-After on', () => {
    const e = AmoApiError.from(429, '{}', new Headers({ 'retry-after': '3' }));
    expect(classifyError(e).retryAfterMs).toBe(3000);
  });
});

describe('backoffMs', () => {
  const policy = { baseMs: 2000, capMs: 600_000, jitter: 0.2 };
  it('doubles per failure within ±jitter and stops at the cap', () => {
    expect(backoffMs(1, policy, () => 0.5)).toBe(2000);
    expect(backoffMs(2, policy, () => 0.5)).toBe(4000);
    expect(backoffMs(3, policy, () => 0)).toBe(6400);
    expect(backoffMs(3, policy, () => 1)).toBe(9600);
    expect(backoffMs(20, policy, () => 1)).toBe(600_000);
  });
  it('never returns less than a server hint', () => {
    expect(backoffMs(1, policy, () => 0.5, 30_000)).toBe(30_000);
  });
});
