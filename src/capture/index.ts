// Capture: everything that brings a lead in besides POST /api/leads — the embeddable form (widget.js, the
// public form definition, its submit endpoint), the landing pages /l/*, and the source webhooks (Tilda, generic
// mapping, Google Ads, Meta). Every lead ends in the one intake (ctx.intake). docs/capture.md.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { LeadIntake } from '../intake/index.js';
import { hooksRoutes } from './hooks-routes.js';
import { landingRoutes } from './landing/routes.js';
import { widgetAsset } from './widget-asset.js';
import { widgetRoutes } from './widget-routes.js';
import type { AppModule } from '../app-module.js';


export interface CaptureDeps {
  config: Config;
  logger?: Logger;
  now?: () => number;
  /** The built widget (default dist/widget/widget.js). */
  widgetFile?: string;
  fetch?: typeof fetch;
}

export interface Capture {
  routes(ctx: { intake: LeadIntake }): FastifyPluginAsync;
}

export function createCapture(deps: CaptureDeps): Capture {
  const asset = widgetAsset(deps.widgetFile);
  const now = deps.now ?? Date.now;
  return {
    routes: (ctx) => async (app) => {
      await app.register(widgetRoutes({ config: deps.config, intake: ctx.intake, asset }));
      await app.register(landingRoutes({ config: deps.config, asset }));
      await app.register(
        hooksRoutes({
          config: deps.config,
          intake: ctx.intake,
          now,
          ...(deps.logger ? { logger: deps.logger } : {}),
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        }),
      );
    },
  };
}

/** Capture as a module of the server: every surface stores through the one `intake`. */
export function captureAppModule(c: Capture, intake: LeadIntake): AppModule {
  return { name: 'capture', routes: () => c.routes({ intake }) };
}
