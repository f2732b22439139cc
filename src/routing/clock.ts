// Local time in a manager's IANA time zone (Intl, no library): weekday, minute of day and local date; working
// hours, absences and the next shift start. Pure functions of (instant, spec).
import { WEEKDAYS, type Absence, type HoursRange, type Weekday } from './types.js';

export interface LocalTime {
  day: Weekday;
  /** Minutes after local midnight. */
  minutes: number;
  /** Local calendar date YYYY-MM-DD. */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

export function localTime(at: Date, tz: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(at)) parts[p.type] = p.value;
  const day = (parts.weekday ?? 'Mon').slice(0, 3).toLowerCase() as Weekday;
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute), date: `${parts.year}-${parts.month}-${parts.day}` };
}

const prevDay = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7] as Weekday;

/** Inside any range? An overnight range (to ≤ from) started on day D covers D from `from` and D+1 until `to`. */
export function inHours(at: Date, tz: string, hours: HoursRange[] | null): boolean {
  if (hours === null) return true;
  const t = localTime(at, tz);
  return hours.some((r) => {
    if (r.from < r.to) return r.days.includes(t.day) && t.minutes >= r.from && t.minutes < r.to;
    return (r.days.includes(t.day) && t.minutes >= r.from) || (r.days.includes(prevDay(t.day)) && t.minutes < r.to);
  });
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export function isAbsent(at: Date, tz: string, absences: Absence[]): boolean {
  if (absences.length === 0) return false;
  const date = localTime(at, tz).date;
  return absences.some((a) => {
    const afterFrom = DATE_ONLY.test(a.from) ? date >= a.from : at.getTime() >= Date.parse(a.from);
    const beforeTo = DATE_ONLY.test(a.to) ? date <= a.to : at.getTime() < Date.parse(a.to);
    return afterFrom && beforeTo;
  });
}

const STEP_MS = 5 * 60_000;
const HORIZON_MS = 15 * 24 * 3600_000;

/**
 * The first instant at or after `from` when the manager is on shift and not absent (5-minute steps, 15 days
 * ahead); null when never within the horizon. `from` itself counts when already on shift.
 */
export function nextShiftStart(from: Date, tz: string, hours: HoursRange[] | null, absences: Absence[]): Date | null {
  for (let t = from.getTime(); t <= from.getTime() + HORIZON_MS; t += STEP_MS) {
    const at = new Date(t);
    if (inHours(at, tz, hours) && !isAbsent(at, tz, absences)) return at;
  }
  return null;
}

/** "09:30" → 570; undefined when malformed. "24:00" is allowed as the end of a day. */
export function parseClock(s: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min > 0)) return undefined;
  return h * 60 + min;
}

/** "mon-fri", "mon,wed,fri", "daily" / "*", or a list → weekdays; undefined when malformed. */
export function parseDays(v: string | string[]): Weekday[] | undefined {
  const items = (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out = new Set<Weekday>();
  for (const item of items) {
    if (item === 'daily' || item === '*' || item === 'all') WEEKDAYS.forEach((d) => out.add(d));
    else if (item === 'weekdays') WEEKDAYS.slice(0, 5).forEach((d) => out.add(d));
    else if (item === 'weekends') WEEKDAYS.slice(5).forEach((d) => out.add(d));
    else if (item.includes('-')) {
      const [a, b] = item.split('-').map((x) => x.trim().slice(0, 3));
      const i = WEEKDAYS.indexOf(a as Weekday);
      const j = WEEKDAYS.indexOf(b as Weekday);
      if (i < 0 || j < 0) return undefined;
      for (let k = i; ; k = (k + 1) % 7) {
        out.add(WEEKDAYS[k] as Weekday);
        if (k === j) break;
      }
    } else {
      const d = item.slice(0, 3) as Weekday;
      if (!WEEKDAYS.includes(d)) return undefined;
      out.add(d);
    }
  }
  return out.size > 0 ? WEEKDAYS.filter((d) => out.has(d)) : undefined;
}
