// Time arithmetic of sequences, pure: durations, quiet hours and times of day in a sequence's time zone.
export interface QuietHours {
  /** Minutes after local midnight. The window [start, end) may wrap past midnight (21:00–09:00). */
  start: number;
  end: number;
}

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `90s`, `30m`, `2h`, `1d12h` or seconds → milliseconds. */
export function parseDuration(d: string | number): number {
  if (typeof d === 'number') return d * 1000;
  let ms = 0;
  for (const m of d.matchAll(/(\d+)([dhms])/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return ms;
}

/** `HH:MM` → minutes after midnight. */
export function parseClock(s: string): number {
  const [h, m] = s.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Milliseconds since local midnight in `tz` at instant `ms`. */
export function localMsOfDay(ms: number, tz: string): number {
  const parts = formatter(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + (ms % 1000);
}

/** True when the time zone is one Intl knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function inWindow(minute: number, q: QuietHours): boolean {
  if (q.start === q.end) return false;
  return q.start < q.end ? minute >= q.start && minute < q.end : minute >= q.start || minute < q.end;
}

/** `ms` itself when it is outside the quiet hours, else the end of the quiet window (local time in `tz`). */
export function nextAllowed(ms: number, tz: string, quiet: QuietHours | null): number {
  if (!quiet) return ms;
  const dayMs = localMsOfDay(ms, tz);
  if (!inWindow(Math.floor(dayMs / 60_000), quiet)) return ms;
  return untilClock(ms, dayMs, quiet.end);
}

/** The next instant (≥ ms) at local time `minute` in `tz`. */
export function nextClock(ms: number, tz: string, minute: number): number {
  return untilClock(ms, localMsOfDay(ms, tz), minute);
}

function untilClock(ms: number, dayMs: number, minute: number): number {
  let delta = minute * 60_000 - dayMs;
  if (delta < 0) delta += 86_400_000;
  return ms + delta;
}

/** Local midnight (in `tz`) of the day `ms` falls in. */
export function localDayStart(ms: number, tz: string): number {
  return ms - localMsOfDay(ms, tz);
}

/** Exponential backoff with jitter: 30 s, 1 min, 2 min, … capped at 1 h. */
export function retryDelayMs(attempt: number, random: () => number = Math.random, baseMs = 30_000): number {
  const exp = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(exp * (0.8 + 0.4 * random()));
}
