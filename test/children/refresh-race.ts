// Child process of refresh.db.test.ts: opens the SAME PostgreSQL token store as its sibling, fires N concurrent
// amoCRM calls at an expired access token and prints one JSON line with the outcome. Arguments: one JSON object.
import { pino } from 'pino';
import { openDb } from '../../src/db/index.js';
import { testConfig } from '../config.js';
import { createAmoConnection } from '../../src/connect/connection.js';

interface Args {
  databaseUrl: string;
  emulatorUrl: string;
  keyHex: string;
  oauth: { clientId: string; clientSecret: string; redirectUri: string };
  requests: number;
  /** Start all requests at this epoch ms, so both processes hit the expiry together. */
  startAt: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const db = await openDb({ url: args.databaseUrl, migrate: false });
const conn = await createAmoConnection({
  config: testConfig({ sandbox: false }),
  db,
  key: Buffer.from(args.keyHex, 'hex'),
  apiBaseUrl: args.emulatorUrl,
  oauth: args.oauth,
  logger: pino({ level: 'silent' }),
  client: { maxRetries: 0, perSecond: 1000 },
});
await new Promise((r) => setTimeout(r, Math.max(0, args.startAt - Date.now())));
const results = await Promise.allSettled(Array.from({ length: args.requests }, () => conn.amo.account.get()));
const errors = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
process.stdout.write(`${JSON.stringify({ ok: results.length - errors.length, errors: errors.slice(0, 5), state: (await conn.status()).state })}\n`);
await db.close();
