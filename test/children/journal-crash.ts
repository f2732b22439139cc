// Child process of journal.db.test.ts: journals deliveries while the database never answers, says so on stdout,
// and waits to be SIGKILLed (a crash after the ack, before the insert).
import { openWebhookJournal } from '../../src/webhooks/journal.js';
import type { InboxWriter } from '../../src/webhooks/inbox-writer.js';

const [dir, prefix, count] = [process.argv[2] ?? '', process.argv[3] ?? 'crash', Number(process.argv[4] ?? 10)];
const stuck: InboxWriter = { write: () => new Promise<number>(() => undefined), pending: () => 0, lastWriteAt: () => 0 };
const journal = openWebhookJournal({ dir, writer: stuck });
const FORM = 'application/x-www-form-urlencoded';
await Promise.all(
  Array.from({ length: count }, (_, i) => journal.append({ status: 'pending', contentType: FORM, body: `${prefix}-${i}`, accountId: 31000001, eventCount: 1 })),
);
process.stdout.write(`journaled ${count}\n`);
setInterval(() => undefined, 1000);
