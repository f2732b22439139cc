// The two demo landing pages, server-rendered in Russian. Each is one HTML document with inline CSS and the
// form rendered from its public definition; widget.js (versioned URL) enhances the form. A business copies
// the page's HTML (View source) as its starting point: docs/capture.md.
import { esc } from './render.js';

export interface PageParts {
  form: string;
  script: string;
}

const BASE_CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7fb}
a{color:inherit}.wrap{max-width:1080px;margin:0 auto;padding:0 20px}header.hero{color:#fff;padding:56px 0 64px}
.hero h1{font-size:clamp(28px,5vw,46px);line-height:1.15;margin:0 0 14px}.hero p{font-size:19px;max-width:560px;margin:0;opacity:.92}
.grid{display:grid;grid-template-columns:1.1fr .9fr;gap:32px;align-items:start;margin-top:-36px;padding-bottom:56px}
@media (max-width:820px){.grid{grid-template-columns:1fr}}
.card{background:#fff;border-radius:14px;box-shadow:0 6px 24px rgba(20,30,60,.08);padding:28px}
.features{list-style:none;margin:0;padding:0;display:grid;gap:18px}.features li{display:flex;gap:14px}
.features b{display:block;font-size:17px}.features .ic{flex:0 0 44px;height:44px;border-radius:12px;display:grid;place-items:center;font-size:19px;font-weight:800}
.card h2{margin:0 0 6px;font-size:24px}.card .sub{margin:0 0 18px;color:#5b6478}
.lb-field{margin-bottom:14px}.lb-field label{display:block;font-weight:600;font-size:14px;margin-bottom:5px}
.lb-field input,.lb-field select,.lb-field textarea{width:100%;font:inherit;padding:11px 12px;border:1px solid #cfd5e2;border-radius:9px;background:#fff}
.lb-field input:focus,.lb-field select:focus,.lb-field textarea:focus{outline:2px solid var(--accent);outline-offset:0;border-color:transparent}
.lb-req{color:#d33}.lb-consent{font-size:13px;color:#4a5266;margin:6px 0 16px}.lb-consent label{display:flex;gap:8px;align-items:flex-start}
.lb-consent input{margin-top:3px}.lb-submit{width:100%;font:inherit;font-weight:700;font-size:17px;padding:14px;border:0;border-radius:10px;color:#fff;background:var(--accent);cursor:pointer}
.lb-submit:disabled{opacity:.6;cursor:wait}.lb-status{min-height:1.5em;margin:12px 0 0;font-weight:600}
.lb-status.lb-ok{color:#14804a}.lb-status.lb-err{color:#c62828}.lb-field.lb-invalid input,.lb-field.lb-invalid select{border-color:#c62828}
footer{color:#7a8297;font-size:13px;padding:24px 0 40px;text-align:center}`;

function page(title: string, description: string, accent: string, heroBg: string, body: string, parts: PageParts): string {
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><meta name="description" content="${esc(description)}">
<style>:root{--accent:${accent}}${BASE_CSS}header.hero{background:${heroBg}}.features .ic{background:${accent}1a;color:${accent}}</style>
</head><body>${body.replace('{{FORM}}', parts.form)}
${parts.script}
</body></html>`;
}

export function fitzonePage(parts: PageParts): string {
  return page(
    'FitZone — фитнес-клуб: первая тренировка бесплатно',
    'Запишитесь на бесплатную пробную тренировку в FitZone: йога, пилатес, силовые, функциональный тренинг.',
    '#e8531f',
    'linear-gradient(135deg,#1f2433 0%,#3a2a4d 60%,#e8531f 140%)',
    `<header class="hero"><div class="wrap"><h1>Первая тренировка в FitZone — бесплатно</h1>
<p>Йога, пилатес, силовые и функциональные тренировки с сертифицированными тренерами. Оставьте заявку — администратор перезвонит и подберёт время.</p></div></header>
<main class="wrap grid">
<section class="card"><ul class="features">
<li><span class="ic">1</span><div><b>Йога и пилатес</b>Группы для новичков и продолжающих, утром и вечером.</div></li>
<li><span class="ic">2</span><div><b>Силовые тренировки</b>Современный зал и персональная программа.</div></li>
<li><span class="ic">3</span><div><b>Функциональный тренинг</b>Выносливость и тонус за 45 минут.</div></li>
<li><span class="ic">4</span><div><b>Открыто с 7:00 до 23:00</b>Без выходных, душевые и парковка.</div></li>
</ul></section>
<section class="card" id="signup"><h2>Записаться на тренировку</h2><p class="sub">Ответим в течение 15 минут в рабочее время.</p>{{FORM}}</section>
</main><footer>FitZone · демонстрационная страница Leadbridge</footer>`,
    parts,
  );
}

export function asiaDealsPage(parts: PageParts): string {
  return page(
    'Asia Deals — недвижимость в Таиланде и на Бали',
    'Виллы, апартаменты и кондо в Азии: подбор объекта под ваш бюджет, проверка застройщика, сопровождение сделки.',
    '#0f7d74',
    'linear-gradient(135deg,#0b3d3a 0%,#0f7d74 70%,#f0b44c 150%)',
    `<header class="hero"><div class="wrap"><h1>Недвижимость в Азии под ваш бюджет</h1>
<p>Виллы, апартаменты и кондо в Таиланде, на Бали и во Вьетнаме. Подберём объект, проверим застройщика и проведём сделку под ключ.</p></div></header>
<main class="wrap grid">
<section class="card"><ul class="features">
<li><span class="ic">1</span><div><b>Более 300 объектов</b>От студий у моря до вилл с бассейном.</div></li>
<li><span class="ic">2</span><div><b>Доходность до 8 % в год</b>Управление арендой и отчёты каждый месяц.</div></li>
<li><span class="ic">3</span><div><b>Юридическая проверка</b>Документы, застройщик и право собственности.</div></li>
<li><span class="ic">4</span><div><b>Сделка под ключ</b>Онлайн-показы, бронирование и оформление.</div></li>
</ul></section>
<section class="card" id="request"><h2>Получить подборку объектов</h2><p class="sub">Пришлём 5–7 вариантов под ваш бюджет в течение дня.</p>{{FORM}}</section>
</main><footer>Asia Deals · демонстрационная страница Leadbridge</footer>`,
    parts,
  );
}
