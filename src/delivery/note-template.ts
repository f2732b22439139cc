// The note for managers on each deal: a Mustache template with variables (config `notes.template`, per form
// `note_template`), Russian by default, times in the account's time zone. A line whose variables are all empty is
// left out, so a template can list every field ("Email: {{email}}") without blank labels.
import Mustache from 'mustache';
import type { Config, FormConfig } from '../config/index.js';
import type { LeadRow } from '../db/index.js';

export const DEFAULT_NOTE_TEMPLATES: Record<'ru' | 'en', string> = {
  ru: [
    'Заявка с формы «{{form_title}}» ({{form}})',
    'Получена: {{submitted_at}}',
    'Имя: {{name}}',
    'Телефон: {{phone}}',
    'Email: {{email}}',
    'Сообщение: {{message}}',
    '{{extra_lines}}',
    'Источник (utm_source): {{utm_source}}',
    'Канал (utm_medium): {{utm_medium}}',
    'Кампания (utm_campaign): {{utm_campaign}}',
    'Объявление (utm_content): {{utm_content}}',
    'Ключевое слово (utm_term): {{utm_term}}',
    'Клик: {{click_ids}}',
    '{{other_attribution}}',
    'Откуда пришёл: {{referrer}}',
    'Страница входа: {{landing_page}}',
    'Первое касание: {{first_touch}}',
    'Последнее касание: {{last_touch}}',
    'Согласие на обработку персональных данных: {{consent}}',
    'IP: {{ip}}',
    'Leadbridge: {{lead_id}}',
  ].join('\n'),
  en: [
    'Form: {{form_title}} ({{form}})',
    'Submitted: {{submitted_at}}',
    'Name: {{name}}',
    'Phone: {{phone}}',
    'Email: {{email}}',
    'Message: {{message}}',
    '{{extra_lines}}',
    'utm_source: {{utm_source}}',
    'utm_medium: {{utm_medium}}',
    'utm_campaign: {{utm_campaign}}',
    'utm_content: {{utm_content}}',
    'utm_term: {{utm_term}}',
    'Click ids: {{click_ids}}',
    '{{other_attribution}}',
    'Referrer: {{referrer}}',
    'Landing page: {{landing_page}}',
    'First touch: {{first_touch}}',
    'Last touch: {{last_touch}}',
    'Consent: {{consent}}',
    'IP: {{ip}}',
    'Leadbridge id: {{lead_id}}',
  ].join('\n'),
};

type Notes = Config['notes'];

/** `01.12.2026 22:16 (Europe/Moscow)` — the account's time zone, never UTC by accident. */
export function formatTime(d: Date, notes: Pick<Notes, 'locale' | 'timeZone'>): string {
  const f = new Intl.DateTimeFormat(notes.locale === 'ru' ? 'ru-RU' : 'en-GB', {
    timeZone: notes.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  return `${f.format(d).replace(',', '')} (${notes.timeZone})`;
}

/** A time from the lead (consent `at`) as the note shows it; text that is not a time is shown as it came. */
function timeOrText(v: string, notes: Notes): string {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : formatTime(d, notes);
}

const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'yclid', 'fbclid'];
/** Attribution keys with a variable of their own; every other one is listed by `{{other_attribution}}`. */
const NAMED_ATTRIBUTION = new Set(['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', ...CLICK_IDS, 'referrer', 'landing_page', 'first_touch', 'last_touch']);

const touch = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' ? Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`).join(', ') : '';

/** Every variable a note template can use (documented in docs/configuration.md#notes). */
export function noteVariables(lead: LeadRow, form: FormConfig, notes: Notes): Record<string, string> {
  const a = lead.attribution as Record<string, unknown>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
  const consent = lead.consent;
  const yes = notes.locale === 'ru' ? 'да' : 'yes';
  const no = notes.locale === 'ru' ? 'нет' : 'no';
  const extra = Object.entries(lead.extra).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)] as const);
  const vars: Record<string, string> = {
    ...Object.fromEntries(extra),
    form: lead.formKey,
    form_title: form.title,
    submitted_at: formatTime(lead.createdAt, notes),
    name: str(lead.name),
    phone: str(lead.phone),
    email: str(lead.email),
    message: str(lead.message),
    extra_lines: extra.map(([k, v]) => `${k}: ${v}`).join('\n'),
    utm_source: str(a.utm_source),
    utm_medium: str(a.utm_medium),
    utm_campaign: str(a.utm_campaign),
    utm_content: str(a.utm_content),
    utm_term: str(a.utm_term),
    click_ids: CLICK_IDS.filter((k) => a[k]).map((k) => `${k}=${str(a[k])}`).join(', '),
    other_attribution: Object.entries(a)
      .filter(([k]) => !NAMED_ATTRIBUTION.has(k))
      .map(([k, v]) => `${k}: ${touch(v)}`)
      .join('\n'),
    referrer: str(a.referrer),
    landing_page: str(a.landing_page),
    first_touch: touch(a.first_touch),
    last_touch: touch(a.last_touch),
    consent: consent
      ? `${consent.given ? yes : no}${consent.text_version ? ` (${consent.text_version})` : ''}${consent.at ? `, ${timeOrText(consent.at, notes)}` : ''}`
      : '',
    ip: str(lead.ip),
    lead_id: lead.id,
  };
  return vars;
}

const TAG = /\{\{\{?\s*([\w.]+)\s*\}?\}\}/g;

/** Renders the template; lines whose variables are all empty are dropped (section tags keep their line). */
export function renderNote(template: string, vars: Record<string, string>): string {
  const kept = template.split('\n').filter((line) => {
    if (/\{\{\s*[#^/!>]/.test(line)) return true;
    const names = [...line.matchAll(TAG)].map((m) => m[1] as string);
    return names.length === 0 || names.some((n) => (vars[n] ?? '') !== '');
  });
  return Mustache.render(kept.join('\n'), vars, {}, { escape: (s: unknown) => String(s) })
    .split('\n')
    .filter((l, i, all) => l.trim() !== '' || (i > 0 && all[i - 1]?.trim() !== ''))
    .join('\n')
    .trim()
    .slice(0, 8000);
}

export function noteFor(lead: LeadRow, form: FormConfig, notes: Notes): string {
  const template = form.noteTemplate ?? notes.template ?? DEFAULT_NOTE_TEMPLATES[notes.locale];
  return renderNote(template, noteVariables(lead, form, notes));
}
