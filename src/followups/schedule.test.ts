import { describe, expect, it } from 'vitest';
import { localDayStart, nextAllowed, nextClock, parseClock, parseDuration, retryDelayMs } from './schedule.js';

const MSK = 'Europe/Moscow'; // UTC+3, no DST
const at = (iso: string) => Date.parse(iso);

describe('schedule', () => {
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d12h')).toBe(36 * 3_600_000);
    expect(parseDuration(5)).toBe(5000);
  });

  it('defers a time inside the quiet hours to their end, in the sequence time zone', () => {
    const quiet = { start: parseClock('21:00'), end: parseClock('09:00') };
    // 22:30 Moscow = 19:30 UTC → next 09:00 Moscow = 06:00 UTC the next day
    expect(new Date(nextAllowed(at('2026-12-01T19:30:00Z'), MSK, quiet)).toISOString()).toBe('2026-12-02T06:00:00.000Z');
    // 03:00 Moscow → 09:00 the same day
    expect(new Date(nextAllowed(at('2026-12-02T00:00:00Z'), MSK, quiet)).toISOString()).toBe('2026-12-02T06:00:00.000Z');
    // 12:00 Moscow: allowed as is
    expect(nextAllowed(at('2026-12-02T09:00:00Z'), MSK, quiet)).toBe(at('2026-12-02T09:00:00Z'));
    expect(nextAllowed(at('2026-12-01T19:30:00Z'), MSK, null)).toBe(at('2026-12-01T19:30:00Z'));
  });

  it('finds the next time of day and the local midnight', () => {
    expect(new Date(nextClock(at('2026-12-01T08:00:00Z'), MSK, parseClock('10:00'))).toISOString()).toBe('2026-12-02T07:00:00.000Z');
    expect(new Date(nextClock(at('2026-12-01T06:00:00Z'), MSK, parseClock('10:00'))).toISOString()).toBe('2026-12-01T07:00:00.000Z');
    expect(new Date(localDayStart(at('2026-12-01T22:00:00Z'), MSK)).toISOString()).toBe('2026-12-01T21:00:00.000Z');
  });

  it('backs off exponentially with bounded jitter', () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(3, () => 0.5)).toBe(120_000);
    expect(retryDelayMs(30, () => 0.5)).toBe(3_600_000);
  });
});
