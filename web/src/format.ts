// Numbers, money, percentages, dates and durations in the chosen language.
import type { Lang } from './i18n.js';

const locale = (l: Lang) => (l === 'ru' ? 'ru-RU' : 'en-GB');

export const num = (l: Lang, v: number | null | undefined, digits = 0) =>
  v === null || v === undefined ? '—' : new Intl.NumberFormat(locale(l), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
export const pct = (l: Lang, v: number | null | undefined) =>
  v === null || v === undefined ? '—' : new Intl.NumberFormat(locale(l), { style: 'percent', maximumFractionDigits: 1 }).format(v);
export const dateTime = (l: Lang, ms: number | null | undefined) =>
  ms === null || ms === undefined ? '—' : new Intl.DateTimeFormat(locale(l), { dateStyle: 'short', timeStyle: 'short' }).format(ms);

export function duration(l: Lang, sec: number | null | undefined): string {
  if (sec === null || sec === undefined) return '—';
  const u = l === 'ru' ? { d: 'д', h: 'ч', m: 'мин' } : { d: 'd', h: 'h', m: 'min' };
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.round((sec % 3600) / 60);
  if (d > 0) return `${d} ${u.d} ${h} ${u.h}`;
  if (h > 0) return `${h} ${u.h} ${m} ${u.m}`;
  return `${m} ${u.m}`;
}

export function isoDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
