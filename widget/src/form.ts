// Rendering a form from its public definition (the same markup the server renders for /l/* pages) and
// enhancing a <form data-leadbridge="KEY">: honeypot, fill time, consent with its text version, submit.
import { attributionFields, track } from './attribution.js';
import { enqueue, send } from './send.js';

export interface Text {
  ru: string;
  en?: string;
}
export interface Field {
  name: string;
  type: string;
  label: Text;
  placeholder?: Text;
  required: boolean;
  options?: { value: string; label: Text }[];
}
export interface Definition {
  key: string;
  fields: Field[];
  consent: { text: Text; version: string; url?: string; required: boolean } | null;
  button: Text;
  messages: { success: Text; error: Text; queued: Text };
  honeypot: string;
  min_fill_ms: number;
  submit_url: string;
}

const CORE = ['name', 'phone', 'email', 'message'];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export function render(def: Definition, lang: 'ru' | 'en'): HTMLFormElement {
  const t = (x: Text) => (lang === 'en' ? (x.en ?? x.ru) : x.ru);
  const form = el('form', { class: 'lb-form', 'data-leadbridge': def.key, novalidate: '' });
  for (const f of def.fields) {
    const id = `lb-${def.key}-${f.name}`;
    const row = el('div', { class: 'lb-field' });
    const label = el('label', { for: id }, t(f.label));
    if (f.required) label.append(' ', el('span', { class: 'lb-req' }, '*'));
    const attrs: Record<string, string> = { id, name: f.name };
    if (f.required) attrs.required = '';
    if (f.placeholder) attrs.placeholder = t(f.placeholder);
    let control: HTMLElement;
    if (f.type === 'textarea') control = el('textarea', { ...attrs, rows: '3' });
    else if (f.type === 'select') {
      control = el('select', attrs);
      control.append(el('option', { value: '' }, '—'));
      for (const o of f.options ?? []) control.append(el('option', { value: o.value }, t(o.label)));
    } else control = el('input', { ...attrs, type: f.type });
    row.append(label, control);
    form.append(row);
  }
  if (def.consent) {
    const label = el('label');
    const box = el('input', { type: 'checkbox', name: 'consent', value: '1' });
    if (def.consent.required) box.required = true;
    const span = el('span', {}, t(def.consent.text));
    if (def.consent.url) span.append(' ', el('a', { href: def.consent.url, target: '_blank', rel: 'noopener' }, lang === 'en' ? 'Full text' : 'Полный текст'));
    label.append(box, ' ', span);
    const row = el('div', { class: 'lb-consent' });
    row.append(label);
    form.append(row);
  }
  form.append(el('button', { type: 'submit', class: 'lb-submit' }, t(def.button)), el('p', { class: 'lb-status', role: 'status', 'aria-live': 'polite' }));
  return form;
}

function newKey(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  return `w-${c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`}`;
}

/** Wires a form (rendered here or by the server) to the definition and the submit endpoint at `base`. */
export function enhance(form: HTMLFormElement, def: Definition, base: string, lang: 'ru' | 'en'): void {
  if (form.dataset.lbReady) return;
  form.dataset.lbReady = '1';
  const t = (x: Text) => (lang === 'en' ? (x.en ?? x.ru) : x.ru);
  const trap = el('div', { 'aria-hidden': 'true', style: 'position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden' });
  trap.append(el('input', { type: 'text', name: def.honeypot, tabindex: '-1', autocomplete: 'off' }));
  form.append(trap);
  const shown = Date.now();
  let key = newKey();
  let status = form.querySelector<HTMLElement>('.lb-status');
  if (!status) form.append((status = el('p', { class: 'lb-status', role: 'status', 'aria-live': 'polite' })));
  const say = (text: string, ok: boolean) => {
    status.textContent = text;
    status.className = `lb-status ${ok ? 'lb-ok' : 'lb-err'}`;
  };
  const mark = (names: string[]) => {
    form.querySelectorAll('.lb-invalid').forEach((x) => x.classList.remove('lb-invalid'));
    for (const n of names) form.querySelector(`[name="${n.replace(/^extra\./, '')}"]`)?.closest('.lb-field,.lb-consent')?.classList.add('lb-invalid');
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const missing: string[] = [];
    form.querySelectorAll<HTMLInputElement>('[required]').forEach((x) => {
      if (x.type === 'checkbox' ? !x.checked : !x.value.trim()) missing.push(x.name);
    });
    mark(missing);
    if (missing.length > 0) return say(t(def.messages.error), false);
    const body: Record<string, unknown> = { ...attributionFields(track()) };
    const extra: Record<string, unknown> = {};
    new FormData(form).forEach((v, k) => {
      if (typeof v !== 'string' || k === 'consent') return;
      if (k === def.honeypot || CORE.includes(k)) body[k] = v;
      else if (v !== '') extra[k] = v;
    });
    if (Object.keys(extra).length > 0) body.extra = extra;
    const consent = form.querySelector<HTMLInputElement>('input[name="consent"]');
    if (def.consent && consent) body.consent = { given: consent.checked, text_version: def.consent.version };
    body.idempotency_key = key;
    body.fill_ms = Date.now() - shown;
    const url = base + def.submit_url;
    const button = form.querySelector<HTMLButtonElement>('[type="submit"]');
    if (button) button.disabled = true;
    void send(url, body).then((r) => {
      if (button) button.disabled = false;
      if (r.kind === 'invalid') {
        mark(r.fields);
        return say(t(def.messages.error), false);
      }
      if (r.kind === 'retry') enqueue(url, body);
      say(t(r.kind === 'ok' ? def.messages.success : def.messages.queued), true);
      form.reset();
      key = newKey();
      form.dispatchEvent(new CustomEvent('leadbridge:sent', { bubbles: true, detail: { queued: r.kind === 'retry' } }));
    });
  });
}
