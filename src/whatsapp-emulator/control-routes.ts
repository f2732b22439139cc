// /_emulator/*: what tests and the sandbox UI use to look inside and to play the person on the other side.
import type { FastifyPluginAsync } from 'fastify';
import type { Fault, InboundInput, WhatsAppEmulatorControl } from './options.js';
import type { Template } from './templates.js';
import { UI_HTML } from './ui.js';

const bad = (message: string) => ({ error: { code: 'BAD_REQUEST', message } });

export function controlRoutes(control: WhatsAppEmulatorControl): FastifyPluginAsync {
  return async (app) => {
    app.get('/_emulator/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'").send(UI_HTML));
    app.get('/_emulator/messages', async () => ({ messages: control.messages().map(({ body: _body, ...m }) => m) }));
    app.get('/_emulator/arrivals', async () => ({ arrivals: control.arrivals(), max_per_second: control.maxPerSecond() }));
    app.get('/_emulator/deliveries', async () => ({ deliveries: control.deliveries() }));
    app.get('/_emulator/templates', async () => ({ templates: control.templates() }));
    app.post('/_emulator/templates', async (req, reply) => {
      const t = req.body as Partial<Template> | undefined;
      if (!t?.name || !t.language || !t.body) return reply.code(400).send(bad('name, language and body are required'));
      control.addTemplate({ category: 'MARKETING', status: 'APPROVED', ...t } as Template);
      return { ok: true };
    });
    app.post('/_emulator/inbound', async (req, reply) => {
      const b = req.body as Partial<InboundInput> | undefined;
      if (!b?.from || (!b.text && !b.button)) return reply.code(400).send(bad('from and text (or button) are required'));
      return { id: await control.inbound(b as InboundInput) };
    });
    app.post('/_emulator/preferences', async (req, reply) => {
      const b = req.body as { phone?: string; value?: string } | undefined;
      if (!b?.phone || (b.value !== 'stop' && b.value !== 'resume')) return reply.code(400).send(bad('phone and value (stop|resume) are required'));
      await control.preference(b.phone, b.value);
      return { ok: true };
    });
    app.post('/_emulator/faults', async (req, reply) => {
      const b = req.body as ({ count?: number } & Partial<{ status: number; code: number; message: string; hang: boolean }>) | undefined;
      const n = b?.count ?? 1;
      let fault: Fault;
      if (b?.hang) fault = { hang: true };
      else if (typeof b?.status === 'number') fault = { status: b.status, ...(b.code !== undefined ? { code: b.code } : {}), ...(b.message ? { message: b.message } : {}) };
      else return reply.code(400).send(bad('status (with optional code) or hang: true is required'));
      control.failNext(n, fault);
      return { ok: true };
    });
    app.post('/_emulator/webhook', async (req) => {
      const b = req.body as { url?: string } | undefined;
      control.setWebhookUrl(b?.url || undefined);
      return { ok: true };
    });
    app.post('/_emulator/reset', async () => {
      control.reset();
      return { ok: true };
    });
  };
}
