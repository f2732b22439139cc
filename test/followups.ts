// Test helpers for follow-ups: a real SMTP server (smtp-server, mails parsed with mailparser) with faults, and
// a config written as YAML next to its template files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadConfig, type Config } from '../src/config/index.js';

export interface TestSmtp {
  port: number;
  url: string;
  mails: ParsedMail[];
  /** Sessions that sent DATA (a mail the server took, even when it never answered). */
  dataStarted: number;
  /** Refuse RCPT TO for these addresses with 550. */
  reject: Set<string>;
  /** Take DATA but never answer (the connection hangs until the client gives up or dies). */
  hangData: boolean;
  waitFor(n: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function startTestSmtp(port = 0): Promise<TestSmtp> {
  const t: TestSmtp = {
    port: 0,
    url: '',
    mails: [],
    dataStarted: 0,
    reject: new Set(),
    hangData: false,
    async waitFor(n, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (t.mails.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return t.mails;
    },
    close: async () => undefined,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(addr, _session, cb) {
      if (t.reject.has(addr.address)) {
        const err = Object.assign(new Error('No such user'), { responseCode: 550 });
        return cb(err);
      }
      cb();
    },
    onData(stream, _session, cb) {
      t.dataStarted++;
      const hang = t.hangData;
      simpleParser(stream).then(
        (mail) => {
          t.mails.push(mail);
          if (!hang) cb();
        },
        (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.server.address();
  t.port = typeof addr === 'object' && addr ? addr.port : 0;
  t.url = `smtp://127.0.0.1:${t.port}`;
  t.close = () =>
    new Promise<void>((r) => {
      for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections ?? []) c.close();
      server.close(() => r());
    });
  return t;
}

export { freePort } from './net.js';

/** Writes leadbridge.yaml (and extra files beside it) to a temp dir and loads it. */
export function yamlConfig(yaml: string, files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-fu-'));
  const path = join(dir, 'leadbridge.yaml');
  writeFileSync(path, yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadConfig({ LEADBRIDGE_ADMIN_TOKEN: 'test-admin-token-0123456789', LEADBRIDGE_PUBLIC_URL: 'https://lb.example.test', ...env }, { configPath: path });
}

/** A clock tests move by hand. */
export function testClock(startIso: string) {
  let t = Date.parse(startIso);
  return {
    now: () => t,
    set: (iso: string) => void (t = Date.parse(iso)),
    advance: (ms: number) => void (t += ms),
  };
}
