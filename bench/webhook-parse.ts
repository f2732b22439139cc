// Bodies parsed per second for a realistic 3-item amoCRM webhook (lead status change with tags and custom
// fields, contact update with PHONE/EMAIL, task add), wire-encoded exactly as amoCRM sends it.
// Run: node --import tsx bench/webhook-parse.ts [seconds]

import { performance } from 'node:perf_hooks';
import { encodeWebhookBody, parseWebhook } from '../src/amocrm/webhooks/index.js';

const body = encodeWebhookBody(
  [
    {
      key: 'leads',
      action: 'status',
      fields: {
        id: 25399013,
        name: 'Заявка с сайта',
        status_id: 142,
        old_status_id: 7039101,
        price: 22500,
        responsible_user_id: 2079676,
        last_modified: 1539782664,
        modified_user_id: 2079718,
        created_user_id: 2076025,
        date_create: 1539782209,
        pipeline_id: 9217056,
        old_pipeline_id: 9217056,
        account_id: 17769199,
        tags: [{ id: 80147, name: 'повторное обращение' }],
        custom_fields: [
          { id: 66339, name: 'Источник', values: [{ value: 'Сайт', enum: 139517 }] },
          { id: 72333, name: 'Дата проведения', values: [1542067200] },
          { id: 72334, name: 'utm_source', values: [{ value: 'google' }] },
        ],
        created_at: 1539782209,
        updated_at: 1539782664,
      },
    },
    {
      key: 'contacts',
      action: 'update',
      fields: {
        id: 100,
        name: 'Анна Смирнова',
        responsible_user_id: 2079676,
        date_create: 1539782209,
        last_modified: 1539782664,
        linked_leads_id: { 25399013: { ID: 25399013 } },
        custom_fields: [
          { id: 1, name: 'Телефон', code: 'PHONE', values: [{ value: '+79001234567', enum: 3 }] },
          { id: 2, name: 'Email', code: 'EMAIL', values: [{ value: 'anna@example.test', enum: 7 }] },
        ],
        created_at: 1539782209,
        updated_at: 1539782664,
        type: 'contact',
      },
    },
    {
      key: 'task',
      action: 'add',
      fields: {
        id: 9001,
        element_id: 25399013,
        element_type: 2,
        task_type: 1,
        date_create: '2018-10-17 13:10:09',
        text: 'Перезвонить клиенту',
        status: '0',
        account_id: 17769199,
        responsible_user_id: 2079676,
        complete_till: '2018-10-18 23:59:00',
        created_at: 1539782209,
        updated_at: 1539782209,
      },
    },
  ],
  { id: 17769199, subdomain: 'example', self: 'https://example.amocrm.ru' },
);

const CT = 'application/x-www-form-urlencoded';
const seconds = Number(process.argv[2] ?? 3);
const buf = Buffer.from(body);

function run(ms: number): { n: number; elapsed: number } {
  const start = performance.now();
  let n = 0;
  let events = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) events += parseWebhook(buf, CT).events.length;
    n += 100;
  }
  if (events !== n * 3) throw new Error('unexpected event count');
  return { n, elapsed: performance.now() - start };
}

run(500); // warm-up
const { n, elapsed } = run(seconds * 1000);
const perSec = (n / elapsed) * 1000;
console.log(
  JSON.stringify({
    bench: 'webhook-parse',
    bodyBytes: buf.length,
    items: 3,
    bodies: n,
    ms: Math.round(elapsed),
    bodiesPerSec: Math.round(perSec),
    usPerBody: Number((1000 / perSec * 1000).toFixed(1)),
  }),
);
