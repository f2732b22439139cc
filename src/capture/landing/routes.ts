// GET /l/fitzone and /l/asia-deals: server-rendered landing pages whose forms (forms.fitzone / forms.asia-deals
// in the config, with a widget section) are enhanced by the widget and end in the same intake.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/index.js';
import { CaptureError } from '../errors.js';
import { publicForm } from '../forms.js';
import type { WidgetAsset } from '../widget-asset.js';
import { asiaDealsPage, fitzonePage, type PageParts } from './pages.js';
import { renderForm } from './render.js';

export interface LandingDeps {
  config: Config;
  asset: WidgetAsset;
}

const PAGES: Record<string, { form: string; render: (parts: PageParts) => string }> = {
  fitzone: { form: 'fitzone', render: fitzonePage },
  'asia-deals': { form: 'asia-deals', render: asiaDealsPage },
};

export function landingRoutes(deps: LandingDeps): FastifyPluginAsync {
  return async (app) => {
    for (const [name, p] of Object.entries(PAGES)) {
      const handler = async (_req: unknown, reply: import('fastify').FastifyReply) => {
        const form = deps.config.forms[p.form];
        const widget = form?.capture?.widget;
        if (!form || !widget) throw new CaptureError('FORM_NOT_FOUND', 404, `the config has no widget section for form "${p.form}"`);
        const built = deps.asset.read();
        const src = built ? `/widget/${built.version}.js` : '/widget.js';
        const html = p.render({ form: renderForm(publicForm(form, widget), 'ru'), script: `<script src="${src}" async></script>` });
        return reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=60').send(html);
      };
      const schema = { schema: { tags: ['capture'], summary: `Landing page /l/${name} (Russian, server-rendered, uses the widget)` } };
      app.get(`/l/${name}`, schema, handler);
      app.get(`/l/${name}/`, { schema: { ...schema.schema, hide: true } }, handler);
    }
  };
}
