// The email channel of follow-ups: SMTP through nodemailer when SMTP_URL is set, else the built-in SMTP catcher
// (a real SMTP server on localhost; GET /api/admin/messages lists what it caught). Independent of the amoCRM sandbox.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelEnv } from '../config/index.js';
import type { EmailChannel, EmailMessage, FollowupLogger, SendResult } from '../followups/index.js';
import { startSmtpCatcher, type CaughtMessage, type SmtpCatcher } from './catcher.js';
import { messagesRoutes, type ExtraMessages } from './routes.js';
import { createSmtpChannel, type SmtpChannel } from './transport.js';
import type { AppModule } from '../app-module.js';

export { startSmtpCatcher } from './catcher.js';
export { createSmtpChannel, type SmtpChannel } from './transport.js';

export interface EmailModule {
  channel: EmailChannel;
  /** The catcher when running as the sandbox (no SMTP_URL). */
  catcher(): SmtpCatcher | null;
  routes(ctx: { requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void> }, extra?: ExtraMessages): FastifyPluginAsync;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<{ ok: boolean; sandbox: boolean }>;
}

export function createEmail(deps: { env: ChannelEnv; ratePerSecond: number; maxConnections: number; logger?: FollowupLogger }): EmailModule {
  let smtp: SmtpChannel | undefined;
  let catcher: SmtpCatcher | null = null;
  const channel: EmailChannel = {
    send(m: EmailMessage): Promise<SendResult> {
      if (!smtp) return Promise.resolve({ ok: false, kind: 'transient', code: 'smtp_not_started', message: 'the email channel is not started yet' });
      return smtp.send(m);
    },
  };
  return {
    channel,
    catcher: () => catcher,
    routes: (ctx, extra) => messagesRoutes({ requireAdmin: ctx.requireAdmin, caught: () => catcher?.messages() ?? null, ...(extra ? { extra } : {}) }),
    async start() {
      let url = deps.env.smtpUrl;
      if (!url) {
        catcher = await startSmtpCatcher({ port: deps.env.catcherPort }).catch((err: unknown) => {
          if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
          deps.logger?.warn({ port: deps.env.catcherPort }, 'SMTP catcher port in use; the catcher listens on a free port instead');
          return startSmtpCatcher({ port: 0 });
        });
        url = catcher.url;
        deps.logger?.info({ port: catcher.port }, 'SANDBOX: no SMTP_URL; follow-up emails go to the built-in SMTP catcher (GET /api/admin/messages)');
      }
      smtp = createSmtpChannel({
        url,
        from: deps.env.mailFrom,
        dkim: deps.env.dkim,
        ratePerSecond: catcher ? 1000 : deps.ratePerSecond,
        maxConnections: deps.maxConnections,
        ignoreTLS: catcher !== null,
      });
    },
    async stop() {
      smtp?.close();
      await catcher?.close();
    },
    async health() {
      return { ok: smtp !== undefined, sandbox: catcher !== null };
    },
  };
}

/** The channel as a module of the server: GET /api/admin/messages (what the catcher caught, plus `extra`'s). */
export function emailAppModule(e: EmailModule, extra?: ExtraMessages): AppModule {
  return { name: 'email', routes: (ctx) => e.routes(ctx, extra) };
}
