// Realistic lead submissions for the intake bench: Russian names, phones written the many ways people type
// them, e-mail, UTM tags, consent, a unique idempotency key each. Mostly JSON, every fifth one a urlencoded
// form (nested keys, as landing builders post them). Deterministic: submission i is always the same.

export interface Submission {
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  idempotencyKey: string;
  body: string;
}

const FIRST = ['Анна', 'Иван', 'Мария', 'Олег', 'Екатерина', 'Дмитрий', 'Ольга', 'Сергей', 'Наталья', 'Алексей'];
const LAST = ['Иванова', 'Петров', 'Смирнова', 'Кузнецов', 'Попова', 'Соколов', 'Лебедева', 'Козлов'];
const SOURCES = ['google', 'yandex', 'vk', 'telegram', 'direct'];
const CAMPAIGNS = ['spring_sale', 'brand', 'retargeting', 'yoga_intro', 'webinar'];

/** Ten digits after +7, valid for libphonenumber (9xx mobile range). */
function subscriber(i: number): string {
  return `9${String(10 + (i % 89)).padStart(2, '0')}${String((i * 7919) % 10_000_000).padStart(7, '0')}`;
}

/** The same number in one of the ways Russians write it. */
export function phoneFormat(i: number): string {
  const d = subscriber(i);
  const [a, b, c, e, f] = [d.slice(0, 3), d.slice(3, 6), d.slice(6, 8), d.slice(8, 10), d];
  switch (i % 6) {
    case 0:
      return `+7 (${a}) ${b}-${c}-${e}`;
    case 1:
      return `8 ${a} ${b}-${c}-${e}`;
    case 2:
      return `7${f}`;
    case 3:
      return `8(${a})${b}${c}${e}`;
    case 4:
      return `+7${f}`;
    default:
      return `${a} ${b} ${c} ${e}`;
  }
}

export function submission(runId: string, i: number): Submission {
  const first = FIRST[i % FIRST.length] as string;
  const last = LAST[(i >> 3) % LAST.length] as string;
  const idempotencyKey = `${runId}-${i}`;
  const fields = {
    name: `${first} ${last}`,
    phone: phoneFormat(i),
    email: `lead${i}.${runId}@example.ru`,
    message: i % 3 === 0 ? 'Перезвоните, пожалуйста, после 18:00' : 'Хочу записаться на пробное занятие',
    utm_source: SOURCES[i % SOURCES.length] as string,
    utm_medium: 'cpc',
    utm_campaign: CAMPAIGNS[i % CAMPAIGNS.length] as string,
    landing_page: 'https://example.ru/yoga?utm_source=x',
  };
  if (i % 5 === 4) {
    const params = new URLSearchParams({ ...fields, 'consent[given]': 'on', 'consent[text_version]': 'v3', 'extra[city]': 'Омск' });
    return { contentType: 'application/x-www-form-urlencoded', idempotencyKey, body: params.toString() };
  }
  const json = { ...fields, consent: { given: true, text_version: 'v3' }, first_touch: { utm_source: 'vk', at: '2026-11-01' } };
  return { contentType: 'application/json', idempotencyKey, body: JSON.stringify(json) };
}
