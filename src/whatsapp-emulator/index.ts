// A local WhatsApp Business Cloud API over real HTTP (fact sheet §10): POST /:version/:phoneNumberId/messages with
// bearer auth, a template registry, the 24 h window, async failures by recipient, throughput and pair rate
// limits, injectable faults, and signed status / inbound webhooks to a configured URL. For tests and the sandbox.
import { buildWhatsAppEmulator } from './server.js';
import type { RunningWhatsAppEmulator, WhatsAppEmulatorOptions } from './options.js';

export {
  buildWhatsAppEmulator,
  defaultFailureFor,
  maxInWindow,
  DEFAULT_APP_SECRET,
  DEFAULT_DISPLAY_PHONE_NUMBER,
  DEFAULT_PHONE_NUMBER_ID,
  DEFAULT_TOKEN,
  DEFAULT_WABA_ID,
} from './server.js';
export { checkTemplate, DEFAULT_TEMPLATES, placeholders } from './templates.js';
export type { Template, TemplateCheck } from './templates.js';
export { metaJson, sign } from './wire.js';
export { verifyWebhook } from './verify.js';
export type {
  Arrival,
  BuiltWhatsAppEmulator,
  EmulatedMessage,
  Fault,
  InboundInput,
  MessageStatus,
  RunningWhatsAppEmulator,
  WebhookDelivery,
  WhatsAppEmulatorControl,
  WhatsAppEmulatorOptions,
} from './options.js';

export async function startWhatsAppEmulator(opts: WhatsAppEmulatorOptions = {}): Promise<RunningWhatsAppEmulator> {
  const built = await buildWhatsAppEmulator(opts);
  const host = opts.host ?? '127.0.0.1';
  await built.app.listen({ port: opts.port ?? 0, host });
  const addr = built.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return { ...built, url: `http://${shown}:${port}`, port, close: () => built.app.close() };
}
