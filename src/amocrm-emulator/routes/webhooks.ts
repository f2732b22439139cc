// Webhook subscriptions (fact sheet §7.14): GET, POST upsert by exact destination → 201, DELETE with a JSON body → 204/404.
import type { FastifyInstance } from 'fastify';
import type { WebhookSubscription } from '../../amocrm/types.js';
import { authOf, requireAdmin, type EmuCtx } from '../context.js';
import { link, sendHal, sendNoContent } from '../hal.js';
import { fail, validationFailed } from '../problems.js';
import { nextId } from '../state.js';
import { err, isInt, isObj } from '../validation.js';

export function webhookRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/webhooks', async (req, reply) => {
      requireAdmin(req);
      const q = req.query as Record<string, unknown>;
      const f = isObj(q.filter) ? q.filter : {};
      const list = ctx.store.webhooks.filter((w) => typeof f.destination !== 'string' || w.destination === f.destination);
      if (!list.length) return sendNoContent(reply);
      return sendHal(reply, { _total_items: list.length, _links: link(req, '/api/v4/webhooks'), _embedded: { webhooks: list } });
    });
    app.post('/api/v4/webhooks', async (req, reply) => {
      requireAdmin(req);
      const b = req.body;
      if (!isObj(b)) throw fail(400, 'Request data can not be empty');
      const errors = [];
      if (typeof b.destination !== 'string' || !/^https?:\/\/[\x21-\x7e]+$/.test(b.destination)) errors.push(err('NotBlank', 'destination', 'Destination must be a valid URL.'));
      if (!Array.isArray(b.settings) || b.settings.length === 0 || !b.settings.every((s) => typeof s === 'string')) errors.push(err('NotBlank', 'settings'));
      if (b.sort !== undefined && !isInt(b.sort)) errors.push(err('InvalidType', 'sort'));
      if (errors.length) throw validationFailed([{ request_id: '0', errors }]);
      const now = ctx.nowSec();
      let w = ctx.store.webhooks.find((x) => x.destination === b.destination);
      if (!w) {
        if (ctx.store.webhooks.length >= 100) throw fail(422, 'Webhooks limit exceeded');
        w = { id: nextId(ctx.store, 'webhook'), destination: String(b.destination), created_at: now, updated_at: now, account_id: ctx.store.accountId, created_by: authOf(req).userId, sort: 1, disabled: false, settings: [] } satisfies WebhookSubscription;
        ctx.store.webhooks.push(w);
      }
      w.settings = (b.settings as string[]).slice();
      w.sort = isInt(b.sort) ? b.sort : w.sort;
      w.disabled = false;
      w.updated_at = now;
      return sendHal(reply, w, 201);
    });
    app.delete('/api/v4/webhooks', async (req, reply) => {
      requireAdmin(req);
      const b = req.body;
      if (!isObj(b) || typeof b.destination !== 'string') throw fail(400, 'Request data can not be empty');
      const before = ctx.store.webhooks.length;
      ctx.store.webhooks = ctx.store.webhooks.filter((w) => w.destination !== b.destination);
      if (ctx.store.webhooks.length === before) throw fail(404, 'Webhook not found');
      return sendNoContent(reply);
    });
  };
}
