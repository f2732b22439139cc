// Pure parts of the channel: error classification (fact sheet §5.2–5.3), stop detection, the rate limiter's
// window guarantee under a virtual clock, and the Graph request body.
import { describe, expect, it } from 'vitest';
import { maxInWindow } from '../whatsapp-emulator/index.js';
import { classifyErrorCode, classifyHttpError, createSendRateLimiter, isStop, messageBody, retryAfterMs, toE164, type WebhookInbound } from './index.js';

describe('classifyErrorCode', () => {
  it.each([
    [130429, 'transient'], [131056, 'transient'], [131000, 'transient'], [131048, 'transient'], [1, 'transient'], [2, 'transient'], [80007, 'transient'],
    [190, 'transient'], [131031, 'transient'], [200, 'transient'],
    [131026, 'permanent'], [132000, 'permanent'], [132001, 'permanent'], [132012, 'permanent'], [132015, 'permanent'], [132016, 'permanent'], [131050, 'permanent'], [100, 'permanent'], [131009, 'permanent'], [999999, 'permanent'],
    [131047, 'skip'], [131049, 'skip'],
  ] as const)('%i → %s', (code, kind) => {
    const r = classifyErrorCode(code);
    expect(r.kind).toBe(kind);
    if (kind === 'transient') expect(r.retryAfterMs).toBeGreaterThan(0);
  });
  it('131047 is the outside_24h_window skip; 131049 waits 24 h', () => {
    expect(classifyErrorCode(131047)).toMatchObject({ code: 'outside_24h_window' });
    expect(classifyErrorCode(131049).retryAfterMs).toBe(24 * 3600_000);
  });
  it('HTTP answers without a Graph error: 5xx/429 transient (Retry-After honoured), other 4xx permanent', () => {
    expect(classifyHttpError(502, undefined)).toMatchObject({ kind: 'transient', code: 'http_502' });
    expect(classifyHttpError(503, undefined, '7')).toMatchObject({ retryAfterMs: 7000 });
    expect(classifyHttpError(404, undefined)).toMatchObject({ kind: 'permanent', code: 'http_404' });
    expect(classifyHttpError(500, { code: 12345 })).toMatchObject({ kind: 'transient', code: '12345' });
    expect(classifyHttpError(400, { code: 130429 }, '10')).toMatchObject({ kind: 'transient', retryAfterMs: 10_000 });
    expect(retryAfterMs('abc')).toBeUndefined();
  });
});

describe('isStop', () => {
  const text = (body: string): WebhookInbound => ({ from: '1', id: 'w', timestamp: '1', type: 'text', text: { body } });
  it.each([['STOP', true], ['Stop, please', true], ['СТОП!', true], ['отписаться', true], ['Хватит писать', true], ['когда можно приехать на просмотр? stop', false], ['Расскажите подробнее', false]])('%s → %s', (body, stop) => {
    expect(isStop(text(body))).toBe(stop);
  });
  it('buttons by payload, custom rules', () => {
    expect(isStop({ from: '1', id: 'w', timestamp: '1', type: 'button', button: { payload: 'stop_followups', text: 'Не присылать' } })).toBe(true);
    expect(isStop({ from: '1', id: 'w', timestamp: '1', type: 'button', button: { payload: 'BOOK', text: 'Записаться' } })).toBe(false);
    expect(isStop(text('basta'), { stopWords: ['basta'] })).toBe(true);
  });
});

describe('createSendRateLimiter', () => {
  it('never lets more than perSecond sends into any 1-second window, with 200 concurrent callers and varying latency', async () => {
    let t = 0;
    const limiter = createSendRateLimiter({ perSecond: 20, now: () => t, sleep: async (ms) => void (t += ms), marginMs: 0 });
    const starts: number[] = [];
    const ends: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const done = await limiter.acquire();
        starts.push(t);
        // A "server" sees the request somewhere inside [start, end]; here at the end, the worst case.
        t += i % 7;
        ends.push(t);
        done();
      }),
    );
    expect(starts).toHaveLength(200);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(20);
    expect(maxInWindow(ends, 1000)).toBeLessThanOrEqual(20);
  });
  it('rejects a rate below 1', () => {
    expect(() => createSendRateLimiter({ perSecond: 0 })).toThrow(RangeError);
  });
});

describe('request body', () => {
  it('template: language code and positional body parameters; text: preview off; callback data on both', () => {
    expect(messageBody({ to: '+79161234567', template: { name: 'x', language: 'ru', params: ['a', 'b'] }, callbackData: 's1' }, '+79161234567')).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: '+79161234567', biz_opaque_callback_data: 's1', type: 'template',
      template: { name: 'x', language: { code: 'ru' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] },
    });
    expect(messageBody({ to: '+1', text: 'hi', callbackData: 's2' }, '+1')).toMatchObject({ type: 'text', text: { preview_url: false, body: 'hi' } });
    expect(toE164('+7 (916) 123-45-67')).toBe('+79161234567');
    expect(toE164('89161234567')).toBeUndefined();
  });
});
