// The SMTP channel: one pooled nodemailer transport (SMTP_URL, smtp:// or smtps://), multipart text + HTML,
// our own Message-ID, List-Unsubscribe (one header, HTTPS first) + List-Unsubscribe-Post One-Click (RFC 8058),
// optional DKIM. The fact sheet's pitfalls are handled here: nested `unsubscribe` array, Post header by hand.
import nodemailer from 'nodemailer';
import type { EmailChannel, EmailMessage, SendResult } from '../followups/index.js';
import { classifySmtpError } from './classify.js';

export interface SmtpOptions {
  url: string;
  from: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string } | undefined;
  ratePerSecond?: number;
  maxConnections?: number;
  /** Local SMTP without TLS (the built-in catcher, tests). */
  ignoreTLS?: boolean;
}

export interface SmtpChannel extends EmailChannel {
  close(): void;
  verify(): Promise<boolean>;
}

export function createSmtpChannel(o: SmtpOptions): SmtpChannel {
  const u = new URL(o.url);
  const secure = u.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    host: u.hostname,
    port: Number(u.port || (secure ? 465 : 587)),
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    ...(o.ignoreTLS ? { ignoreTLS: true } : {}),
    pool: true,
    maxConnections: o.maxConnections ?? 2,
    maxMessages: 100,
    rateDelta: 1000,
    rateLimit: Math.max(1, Math.round(o.ratePerSecond ?? 5)),
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
    ...(o.dkim ? { dkim: o.dkim } : {}),
  });
  return {
    async send(m: EmailMessage): Promise<SendResult> {
      try {
        const info = await transport.sendMail({
          from: o.from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          ...(m.html !== undefined ? { html: m.html } : {}),
          messageId: m.messageId,
          ...(m.references?.length ? { inReplyTo: m.references[m.references.length - 1], references: m.references } : {}),
          list: { unsubscribe: [[m.unsubscribeUrl]] },
          headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        });
        if (info.rejected?.length) return classifySmtpError((info as { rejectedErrors?: unknown[] }).rejectedErrors?.[0] ?? { responseCode: 550, command: 'RCPT TO' });
        return { ok: true, messageId: info.messageId ?? m.messageId, response: String(info.response ?? '').slice(0, 200) };
      } catch (err) {
        return classifySmtpError(err);
      }
    },
    close: () => transport.close(),
    verify: () => transport.verify().then(() => true, () => false),
  };
}

/** The domain of the From address, for our Message-IDs. */
export function mailDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(from);
  return m?.[1] ?? 'leadbridge.local';
}
