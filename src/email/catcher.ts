// The sandbox SMTP server: with no SMTP_URL, follow-up emails go to this real SMTP server on localhost, which
// keeps the last messages in memory (parsed with mailparser) for GET /api/admin/messages.
import { toError } from '../errors.js';
// Both libraries are loaded only when used (mailparser alone is ~12 MB of a server's memory): a server with
// SMTP_URL never loads them, the sandbox loads the parser with its first message.
type SimpleParser = typeof import('mailparser').simpleParser;
let parser: Promise<SimpleParser> | undefined;
const loadParser = () => (parser ??= import('mailparser').then((m) => m.simpleParser));

export interface CaughtMessage {
  id: number;
  receivedAt: string;
  envelope: { from: string | null; to: string[] };
  messageId: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
}

export interface SmtpCatcher {
  port: number;
  url: string;
  messages(): CaughtMessage[];
  clear(): void;
  close(): Promise<void>;
}

export async function startSmtpCatcher(o: { port?: number; host?: string; keep?: number; onMessage?: (m: CaughtMessage) => void } = {}): Promise<SmtpCatcher> {
  const keep = o.keep ?? 1000;
  const caught: CaughtMessage[] = [];
  let seq = 0;
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'Leadbridge sandbox SMTP catcher',
    onData(stream, session, cb) {
      loadParser()
        .then((simpleParser) => simpleParser(stream))
        .then((mail) => {
          const headers: Record<string, string> = {};
          for (const line of mail.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
          const m: CaughtMessage = {
            id: ++seq,
            receivedAt: new Date().toISOString(),
            envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null, to: session.envelope.rcptTo.map((r) => r.address) },
            messageId: mail.messageId ?? null,
            subject: mail.subject ?? null,
            text: mail.text ?? null,
            html: typeof mail.html === 'string' ? mail.html : null,
            headers,
          };
          caught.push(m);
          if (caught.length > keep) caught.shift();
          o.onMessage?.(m);
          cb();
        })
        .catch((e: unknown) => cb(toError(e)));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `smtp://${o.host ?? '127.0.0.1'}:${port}`,
    messages: () => [...caught],
    clear: () => void caught.splice(0),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
