import { describe, expect, it } from 'vitest';
import type { FormConfig } from '../config/index.js';
import type { LeadRow } from '../db/index.js';
import { DEFAULT_NOTE_TEMPLATES, formatTime, noteFor, renderNote } from './note-template.js';

const form = { key: 'fitzone', title: 'FitZone landing', mode: 'complex', dealName: '', tags: [], fields: {}, extraFields: [], note: true, honeypot: 'website' } as FormConfig;
const lead = (over: Partial<LeadRow> = {}): LeadRow =>
  ({
    id: '3ce8d4ad-aef5-438c-a748-2a22cd1899b1',
    formKey: 'fitzone',
    name: 'Иван Иванов',
    phone: '+79991234567',
    email: null,
    message: 'Хочу записаться на тренировку',
    extra: { direction: 'Йога' },
    attribution: { utm_source: 'yandex', gclid: 'g-1' },
    consent: { given: true, text_version: 'v2', at: '2026-12-01T19:16:12.000Z' },
    ip: '203.0.113.7',
    createdAt: new Date('2026-12-01T19:16:12Z'),
    ...over,
  }) as LeadRow;
const ru = { locale: 'ru' as const, timeZone: 'Europe/Moscow' };

describe('notes for managers', () => {
  it('are Russian by default, in the account time zone, without empty lines', () => {
    const text = noteFor(lead(), form, ru);
    expect(text.split('\n')).toEqual([
      'Заявка с формы «FitZone landing» (fitzone)',
      'Получена: 01.12.2026 22:16 (Europe/Moscow)',
      'Имя: Иван Иванов',
      'Телефон: +79991234567',
      'Сообщение: Хочу записаться на тренировку',
      'direction: Йога',
      'Источник (utm_source): yandex',
      'Клик: gclid=g-1',
      'Согласие на обработку персональных данных: да (v2), 01.12.2026 22:16 (Europe/Moscow)',
      'IP: 203.0.113.7',
      'Leadbridge: 3ce8d4ad-aef5-438c-a748-2a22cd1899b1',
    ]);
  });

  it('use the form template, then the config template; every variable is available', () => {
    const custom = noteFor(lead(), { ...form, noteTemplate: 'Новая заявка: {{name}}, {{direction}}\nEmail: {{email}}\nВремя: {{submitted_at}}' }, { ...ru, timeZone: 'Asia/Bangkok' });
    expect(custom).toBe('Новая заявка: Иван Иванов, Йога\nВремя: 02.12.2026 02:16 (Asia/Bangkok)');
    expect(noteFor(lead(), form, { ...ru, template: 'Lead {{lead_id}}' })).toBe('Lead 3ce8d4ad-aef5-438c-a748-2a22cd1899b1');
    expect(noteFor(lead(), form, { locale: 'en', timeZone: 'UTC' })).toContain('Submitted: 01/12/2026 19:16 (UTC)');
  });

  it('lists attribution without a variable of its own, and shows a consent time that is not a time as it came', () => {
    const text = noteFor(lead({ attribution: { utm_source: 'yandex', page_url: 'https://fitzone.example/yoga', ym_client_id: '123' }, consent: { given: true, at: 'вчера' } }), form, ru);
    expect(text).toContain('page_url: https://fitzone.example/yoga\nym_client_id: 123');
    expect(text).toContain('Согласие на обработку персональных данных: да, вчера');
  });

  it('keeps sections and a line that mixes set and empty variables', () => {
    expect(renderNote('{{#email}}Email: {{email}}{{/email}}\nA {{a}} B {{b}}', { a: '1', b: '' })).toBe('A 1 B');
    expect(DEFAULT_NOTE_TEMPLATES.ru).toContain('{{submitted_at}}');
    expect(formatTime(new Date('2026-06-01T00:00:00Z'), ru)).toBe('01.06.2026 03:00 (Europe/Moscow)');
  });
});
