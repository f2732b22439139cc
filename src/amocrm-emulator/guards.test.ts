import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from './index.js';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

let emu: TestEmu | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});
const start = async (o: EmulatorOptions = {}): Promise<TestEmu> => (emu = await startTestEmulator(o));

const burst = (e: TestEmu, n: number) => Promise.all(Array.from({ length: n }, () => e.api('GET', '/api/v4/account')));

describe('rights and payment', () => {
  it('answers 403 to non-admin tokens on admin-only endpoints', async () => {
    const e = await start();
    const { access_token } = await e.control.issueTokens({ admin: false });
    expect((await e.api('GET', '/api/v4/users', undefined, access_token)).status).toBe(403);
    expect((await e.api('GET', '/api/v4/webhooks', undefined, access_token)).status).toBe(403);
    expect((await e.api('POST', '/api/v4/leads/custom_fields', [{ name: 'x', type: 'text' }], access_token)).status).toBe(403);
    expect((await e.api('POST', '/api/v4/leads/pipelines', [{ name: 'p', sort: 1, is_main: false, is_unsorted_on: false }], access_token)).status).toBe(403);
    expect((await e.api('GET', '/api/v4/leads/custom_fields', undefined, access_token)).status).toBe(200);
    const users = await e.api('GET', '/api/v4/users');
    expect(users.json._embedded.users).toHaveLength(7);
    expect(users.json._total_items).toBe(7);
  });

  it('blocks writes with 402 while payment is required, reads still work', async () => {
    const e = await start();
    e.control.setPaymentRequired(true);
    const w = await e.api('POST', '/api/v4/leads', [{ name: 'x' }]);
    expect(w.status).toBe(402);
    expect(w.json).toEqual({ title: 'Payment Required', type: 'https://httpstatus.es/402', status: 402, detail: 'Payment required' });
    expect((await e.api('GET', '/api/v4/account')).status).toBe(200);
    await fetch(`${e.url}/_emulator/payment-required`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"on":false}' });
    expect((await e.api('POST', '/api/v4/leads', [{ name: 'x' }])).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('answers 429 with a JSON problem and retry_after above 7 rps per integration', async () => {
    const e = await start({ rateLimit: {} });
    const t0 = performance.now();
    const res = await burst(e, 20);
    const elapsedS = (performance.now() - t0) / 1000;
    const limited = res.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // A full bucket (7, +5 % margin) plus what refills while the burst is in flight on a loaded machine.
    expect(res.filter((r) => r.status === 200).length).toBeLessThanOrEqual(Math.floor(7 * 1.05 * (1 + elapsedS)) + 1);
    expect(limited[0]?.json).toMatchObject({ status: 429, retry_after: 300, title: 'Too Many Requests' });
    expect((await fetch(`${e.url}/_emulator/health`)).status).toBe(200);
  });

  it('can answer 429 as an nginx HTML page', async () => {
    const e = await start({ rateLimit: { body: 'html', perIntegration: 2 } });
    const limited = (await burst(e, 6)).filter((r) => r.status === 429);
    expect(limited[0]?.type).toContain('text/html');
    expect(limited[0]?.text).toContain('429 Too Many Requests');
  });

  it('blocks everything with 403 HTML after N 429s, the token endpoint included', async () => {
    const e = await start({ rateLimit: { perIntegration: 1, blockAfter429s: 3, blockMs: 60_000 } });
    await burst(e, 8);
    const after = await e.api('GET', '/api/v4/account');
    expect(after.status).toBe(403);
    expect(after.type).toContain('text/html');
    const tok = await fetch(`${e.url}/oauth2/access_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(tok.status).toBe(403);
    expect((await fetch(`${e.url}/_emulator/state`)).status).toBe(200);
  });
});

describe('faults', () => {
  it('answers the scripted status for the next N matching calls, then recovers', async () => {
    const e = await start();
    e.control.addFault({ method: 'POST', path: '/api/v4/leads', status: 503, count: 2, body: '<html>503</html>' });
    expect((await e.api('POST', '/api/v4/leads', [{}])).status).toBe(503);
    const second = await e.api('POST', '/api/v4/leads', [{}]);
    expect(second.status).toBe(503);
    expect(second.type).toContain('text/html');
    expect((await e.api('POST', '/api/v4/leads', [{}])).status).toBe(200);
    expect((e.control.state() as { leads: unknown[] }).leads).toHaveLength(1);
  });

  it('matches a path prefix ending in * and can be scripted over HTTP', async () => {
    const e = await start();
    await fetch(`${e.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/api/v4/contacts*', status: 500 }) });
    const res = await e.api('GET', '/api/v4/contacts?query=1');
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ title: 'ErrInternalServer', status: 500 });
  });

  it('delays a response (the client times out first)', async () => {
    const e = await start();
    e.control.addFault({ path: '/api/v4/account', delayMs: 1000 });
    const call = fetch(`${e.url}/api/v4/account`, { headers: { authorization: `Bearer ${e.token}` }, signal: AbortSignal.timeout(100) });
    await expect(call).rejects.toThrow();
    expect((await e.api('GET', '/api/v4/account')).status).toBe(200);
  });

  it('drops the socket before the work is done', async () => {
    const e = await start();
    e.control.addFault({ method: 'POST', path: '/api/v4/leads/complex', drop: true });
    await expect(e.api('POST', '/api/v4/leads/complex', [{ name: 'x' }])).rejects.toThrow();
    expect((e.control.state() as { leads: unknown[] }).leads).toHaveLength(0);
  });

  it("with when: 'after' does the work, then fails the response", async () => {
    const e = await start();
    e.control.addFault({ method: 'POST', path: '/api/v4/leads/complex', drop: true, when: 'after' });
    await expect(e.api('POST', '/api/v4/leads/complex', [{ name: 'x' }])).rejects.toThrow();
    expect((e.control.state() as { leads: unknown[] }).leads).toHaveLength(1);
    e.control.addFault({ method: 'POST', path: '/api/v4/leads/complex', status: 504, when: 'after' });
    expect((await e.api('POST', '/api/v4/leads/complex', [{ name: 'y' }])).status).toBe(504);
    const state = e.control.state() as { leads: unknown[]; calls: { path: string; status: number }[] };
    expect(state.leads).toHaveLength(2);
    expect(state.calls.filter((c) => c.path === '/api/v4/leads/complex').map((c) => c.status)).toEqual([0, 504]);
  });
});
