// Server-side markup of a public form: the same structure the widget builds in the browser, so a page can ship
// the form in its HTML (fast first paint) and let widget.js enhance it (`<form data-leadbridge="KEY">`).
import type { LocalText } from '../../config/index.js';
import type { PublicForm } from '../forms.js';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Lang = 'ru' | 'en';

export function t(text: LocalText, lang: Lang): string {
  return lang === 'en' ? (text.en ?? text.ru) : text.ru;
}

const AUTOCOMPLETE: Record<string, string> = { name: 'name', phone: 'tel', email: 'email' };

export function renderForm(def: PublicForm, lang: Lang): string {
  const rows = def.fields.map((f) => {
    const id = `lb-${def.key}-${f.name}`;
    const label = `<label for="${id}">${esc(t(f.label, lang))}${f.required ? ' <span class="lb-req">*</span>' : ''}</label>`;
    const common = `id="${id}" name="${esc(f.name)}"${f.required ? ' required' : ''}${f.placeholder ? ` placeholder="${esc(t(f.placeholder, lang))}"` : ''}`;
    let control: string;
    if (f.type === 'textarea') control = `<textarea ${common} rows="3"></textarea>`;
    else if (f.type === 'select') {
      const opts = (f.options ?? []).map((o) => `<option value="${esc(o.value)}">${esc(t(o.label, lang))}</option>`).join('');
      control = `<select ${common}><option value="">—</option>${opts}</select>`;
    } else {
      const ac = AUTOCOMPLETE[f.name];
      control = `<input ${common} type="${f.type}"${ac ? ` autocomplete="${ac}"` : ''}${f.type === 'number' ? ' inputmode="numeric" min="0"' : ''}>`;
    }
    return `<div class="lb-field">${label}${control}</div>`;
  });
  if (def.consent) {
    const link = def.consent.url ? ` <a href="${esc(def.consent.url)}" target="_blank" rel="noopener">${lang === 'en' ? 'Full text' : 'Полный текст'}</a>` : '';
    rows.push(
      `<div class="lb-consent"><label><input type="checkbox" name="consent" value="1"${def.consent.required ? ' required' : ''}> <span>${esc(t(def.consent.text, lang))}${link}</span></label></div>`,
    );
  }
  return (
    `<form class="lb-form" data-leadbridge="${esc(def.key)}" method="post" action="${esc(def.submit_url)}" novalidate>` +
    rows.join('') +
    `<button type="submit" class="lb-submit">${esc(t(def.button, lang))}</button>` +
    `<p class="lb-status" role="status" aria-live="polite"></p></form>`
  );
}
