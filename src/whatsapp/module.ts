// What the WhatsApp channel contributes to the running server: the Cloud API channel (or, with no WHATSAPP_TOKEN,
// the built-in emulator as its sandbox — on its own, independent of the amoCRM and SMTP sandboxes), the webhook
// routes, start/stop and health. The composition root (src/main.ts) passes everything in.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/index.js';
import { startWhatsAppEmulator, type RunningWhatsAppEmulator, type Template } from '../whatsapp-emulator/index.js';
import { createWhatsAppChannel } from './client.js';
import { whatsappWebhookRoutes, WEBHOOK_PATH, type WhatsAppWebhookLogger } from './routes.js';
import type { SendResult, WhatsAppChannel, WhatsAppMessage } from './types.js';
import type { AppModule } from '../app-module.js';

export interface WhatsAppEnv {
  token?: string;
  phoneNumberId?: string;
  apiUrl: string;
  appSecret?: string;
  verifyToken?: string;
}

export interface WhatsAppModuleDeps {
  db: Database;
  /** The amoCRM account the messages and events belong to. */
  account: string;
  env: WhatsAppEnv;
  graphVersion: string;
  ratePerSecond: number;
  /** Port of the sandbox emulator (no WHATSAPP_TOKEN); 0 = any free port. */
  emulatorPort: number;
  /** Templates the config's sequences send: approved in the sandbox emulator so the demo works as configured. */
  templates: () => { name: string; language: string; params: number }[];
  /** Wakes the consumers of whatsapp.* events after a webhook committed. */
  onStored?: () => void;
  logger?: WhatsAppWebhookLogger & { info(obj: object, msg: string): void };
}

export interface WhatsAppModule {
  channel: WhatsAppChannel;
  routes(): FastifyPluginAsync;
  /** Starts the sandbox emulator when no token is set. */
  start(): Promise<void>;
  /** Tells the sandbox emulator where this server receives webhooks (known once the server listens). */
  listening(baseUrl: string): void;
  stop(): Promise<void>;
  health(): Promise<{ ok: boolean; sandbox: boolean }>;
  /** The sandbox emulator (null with real credentials). */
  emulator(): RunningWhatsAppEmulator | null;
  /** What the sandbox emulator accepted, newest first (GET /api/admin/messages). */
  sandboxMessages(): Promise<Record<string, unknown>[]>;
}

export function createWhatsApp(deps: WhatsAppModuleDeps): WhatsAppModule {
  const real = Boolean(deps.env.token && deps.env.phoneNumberId);
  // The sandbox signs its own webhooks: a fresh secret per start, never printed.
  const appSecret = real ? (deps.env.appSecret ?? '') : randomBytes(24).toString('base64url');
  const verifyToken = deps.env.verifyToken ?? (real ? '' : randomBytes(16).toString('base64url'));
  let emulator: RunningWhatsAppEmulator | null = null;
  let inner: WhatsAppChannel | undefined;

  const channel: WhatsAppChannel = {
    send(m: WhatsAppMessage): Promise<SendResult> {
      if (!inner) return Promise.resolve({ ok: false, kind: 'transient', code: 'whatsapp_not_started', message: 'the WhatsApp channel is not started yet' });
      return inner.send(m);
    },
  };

  return {
    channel,
    routes: () =>
      whatsappWebhookRoutes({
        db: deps.db,
        account: deps.account,
        appSecret,
        verifyToken,
        ...(deps.env.phoneNumberId && real ? { phoneNumberId: deps.env.phoneNumberId } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
        ...(deps.onStored ? { onStored: () => deps.onStored?.() } : {}),
      }),
    async start() {
      let apiUrl = deps.env.apiUrl;
      let token = deps.env.token ?? '';
      let phoneNumberId = deps.env.phoneNumberId ?? '';
      if (!real) {
        emulator = await startWhatsAppEmulator({ port: deps.emulatorPort, appSecret }).catch((err: unknown) => {
          if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
          deps.logger?.warn({ port: deps.emulatorPort }, 'WhatsApp emulator port in use; it listens on a free port instead');
          return startWhatsAppEmulator({ port: 0, appSecret });
        });
        const known = new Set(emulator.control.templates().map((t) => `${t.name}/${t.language}`));
        for (const t of deps.templates()) {
          if (known.has(`${t.name}/${t.language}`)) continue;
          emulator.control.addTemplate(sandboxTemplate(t));
          known.add(`${t.name}/${t.language}`);
        }
        apiUrl = emulator.url;
        token = emulator.config.token;
        phoneNumberId = emulator.config.phoneNumberId;
        deps.logger?.info({ url: emulator.url }, 'SANDBOX: no WHATSAPP_TOKEN; WhatsApp messages go to the built-in Cloud API emulator (GET /api/admin/messages)');
      }
      inner = createWhatsAppChannel({ apiUrl, graphVersion: deps.graphVersion, token, phoneNumberId, ratePerSecond: deps.ratePerSecond, db: deps.db, account: deps.account });
    },
    listening(baseUrl) {
      emulator?.control.setWebhookUrl(`${baseUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`);
    },
    async stop() {
      await emulator?.close();
      emulator = null;
    },
    async health() {
      return { ok: inner !== undefined, sandbox: !real };
    },
    emulator: () => emulator,
    async sandboxMessages() {
      if (!emulator) return [];
      return emulator.control
        .messages()
        .slice()
        .reverse()
        .map((m) => ({ channel: 'whatsapp', id: m.id, at: new Date(m.at).toISOString(), to: m.to, type: m.type, status: m.status, ...(m.template ? { template: m.template } : {}), ...(m.text ? { text: m.text } : {}), ...(m.errorCode ? { error_code: m.errorCode } : {}) }));
    },
  };
}

/** An approved sandbox template for a name the config uses: `{{1}}…{{n}}` for its n parameters. */
function sandboxTemplate(t: { name: string; language: string; params: number }): Template {
  const body = Array.from({ length: t.params }, (_, i) => `{{${i + 1}}}`).join(' ') || t.name;
  return { name: t.name, language: t.language, category: 'MARKETING', status: 'APPROVED', body };
}

/** The channel as a module of the server: the webhook routes; once listening, the sandbox emulator learns the URL. */
export function whatsappAppModule(w: WhatsAppModule): AppModule {
  return { name: 'whatsapp', routes: () => w.routes(), start: async (appUrl) => w.listening(appUrl) };
}
