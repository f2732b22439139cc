// GET /api/v4/account (fact sheet §2.11) and users (§7.7, admin only).
import type { FastifyInstance } from 'fastify';
import type { Account, User } from '../../amocrm/types.js';
import { authOf, requireAdmin, withList, type EmuCtx } from '../context.js';
import { baseUrl, link, parseIdParam, sendHal, sendPage } from '../hal.js';
import { fail } from '../problems.js';

export function accountRoutes(ctx: EmuCtx) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/account', async (req, reply) => {
      const body: Account & { _embedded?: Record<string, unknown> } = {
        id: ctx.config.accountId,
        name: 'Leadbridge Demo',
        subdomain: ctx.config.subdomain,
        current_user_id: authOf(req).userId,
        country: 'RU',
        currency: 'RUB',
        currency_symbol: '₽',
        customers_mode: 'disabled',
        is_unsorted_on: true,
        is_loss_reason_enabled: true,
        is_helpbot_enabled: false,
        is_technical_account: false,
        contact_name_display_order: 1,
        created_at: 1600000000,
        created_by: 0,
        updated_at: 1600000000,
        updated_by: 0,
        mobile_feature_version: 0,
        _links: link(req, '/api/v4/account'),
      };
      const withs = withList(req);
      const emb: Record<string, unknown> = {};
      if (withs.includes('task_types'))
        emb.task_types = [
          { id: 1, name: 'Связаться', color: null, icon_id: null, code: 'FOLLOW_UP' },
          { id: 2, name: 'Встреча', color: null, icon_id: null, code: 'MEETING' },
        ];
      if (withs.includes('users_groups')) emb.users_groups = [{ id: 0, name: 'Отдел продаж', uuid: null }];
      if (withs.includes('is_api_filter_enabled')) Object.assign(body, { is_api_filter_enabled: true });
      if (withs.includes('amojo_id')) Object.assign(body, { amojo_id: '00000000-0000-4000-8000-0000000000a1' });
      if (Object.keys(emb).length) body._embedded = emb;
      return sendHal(reply, body);
    });
  };
}

export function userRoutes(ctx: EmuCtx) {
  const render = (b: string, u: User) => ({ ...u, _links: { self: { href: `${b}/api/v4/users/${u.id}` } } });
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v4/users', async (req, reply) => {
      requireAdmin(req);
      const b = baseUrl(req);
      return sendPage(req, reply, 'users', ctx.store.users, { totals: true, pageCount: true, render: (u) => render(b, u) });
    });
    app.get('/api/v4/users/:id', async (req, reply) => {
      requireAdmin(req);
      const u = ctx.store.users.find((x) => x.id === parseIdParam((req.params as { id: string }).id));
      if (!u) throw fail(404, 'User not found');
      return sendHal(reply, render(baseUrl(req), u));
    });
  };
}
