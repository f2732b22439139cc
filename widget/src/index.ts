// Leadbridge embeddable form. No dependencies, no third-party requests: it talks only to the Leadbridge host it
// was loaded from. Usage (docs/capture.md):
//   <script src="https://your-host/widget.js" data-form="KEY" async></script>   renders the form where it stands
//   (data-target="#css-selector" renders into that element; data-lang="en" picks English)
//   <form data-leadbridge="KEY">…your inputs…</form> + the script tag without data-form   enhances your form
//   data-cf7 on the script tag: also sends Contact Form 7 submissions (the wpcf7mailsent event) as leads of data-form
import { attributionFields, track } from './attribution.js';
import { enhance, render, type Definition } from './form.js';
import { enqueue, flush, send } from './send.js';

const CSS =
  '.lb-form{max-width:480px;font:inherit}.lb-field{margin:0 0 12px}.lb-field label{display:block;font-weight:600;margin:0 0 4px}' +
  '.lb-field input,.lb-field select,.lb-field textarea{box-sizing:border-box;width:100%;padding:9px 10px;font:inherit;border:1px solid #bbb;border-radius:6px}' +
  '.lb-consent{font-size:13px;margin:4px 0 12px}.lb-consent label{display:flex;gap:8px}.lb-submit{padding:10px 18px;font:inherit;font-weight:700;cursor:pointer}' +
  '.lb-req,.lb-err{color:#c62828}.lb-ok{color:#14804a}.lb-invalid input,.lb-invalid select,.lb-invalid textarea{border-color:#c62828}';

interface Api {
  scan(): void;
  flush(): Promise<number>;
}

declare global {
  interface Window {
    Leadbridge?: Api;
  }
}

(() => {
  if (window.Leadbridge) return window.Leadbridge.scan();
  const script = document.currentScript as HTMLScriptElement | null;
  const src = script?.src ?? '';
  const base = script?.dataset.api ?? src.replace(/\/widget(?:\/[\w.-]+)?\.js(?:[?#].*)?$/, '');
  const defs: Record<string, Promise<Definition | undefined>> = {};
  const lang = (x?: string | null): 'ru' | 'en' => ((x ?? script?.dataset.lang ?? document.documentElement.lang ?? '').toLowerCase().startsWith('en') ? 'en' : 'ru');

  const definition = (key: string) =>
    (defs[key] ??= fetch(`${base}/api/forms/${encodeURIComponent(key)}`, { credentials: 'omit' })
      .then((r) => (r.ok ? (r.json() as Promise<Definition>) : undefined))
      .catch(() => undefined)
      .then((d) => {
        if (!d) console.warn(`leadbridge: form "${key}" is not available here (unknown form, origin not allowed, or server unreachable)`);
        return d;
      }));

  let styled = false;
  const style = () => {
    if (styled || script?.dataset.css === 'none') return;
    styled = true;
    document.head.append(Object.assign(document.createElement('style'), { textContent: CSS }));
  };

  function scan(): void {
    document.querySelectorAll<HTMLFormElement>('form[data-leadbridge]').forEach((form) => {
      void definition(form.dataset.leadbridge as string).then((d) => d && enhance(form, d, base, lang(form.dataset.lang)));
    });
  }

  track();
  const key = script?.dataset.form;
  if (key && script && !script.hasAttribute('data-cf7')) {
    const target = script.dataset.target ? document.querySelector(script.dataset.target) : null;
    const slot = document.createElement('div');
    if (target) target.append(slot);
    else script.after(slot);
    void definition(key).then((d) => {
      if (!d) return;
      style();
      const form = render(d, lang());
      slot.append(form);
      enhance(form, d, base, lang());
    });
  }
  if (key && script?.hasAttribute('data-cf7')) {
    // Contact Form 7 sends its own mail; this forwards the same submission (your-name, your-email, … → lead fields).
    document.addEventListener('wpcf7mailsent', (ev) => {
      const inputs = ((ev as CustomEvent).detail?.inputs ?? []) as { name: string; value: string }[];
      const body: Record<string, unknown> = { ...attributionFields(track()), idempotency_key: `cf7-${Date.now()}-${Math.random().toString(36).slice(2)}` };
      const extra: Record<string, string> = {};
      for (const { name, value } of inputs) {
        const n = name.replace(/^your-/, '').replace(/^tel$/, 'phone');
        if (['name', 'phone', 'email', 'message'].includes(n)) body[n] = value;
        else if (!name.startsWith('_wpcf7') && value) extra[name] = value;
      }
      if (Object.keys(extra).length > 0) body.extra = extra;
      void definition(key).then((d) => {
        if (!d) return;
        const url = base + d.submit_url;
        void send(url, body).then((r) => r.kind === 'retry' && enqueue(url, body));
      });
    });
  }
  const ready = () => {
    scan();
    void flush();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
  window.Leadbridge = { scan, flush };
})();
