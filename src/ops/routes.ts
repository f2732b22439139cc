// Operator endpoints (admin): the webhook URL (holds the secret, so admin-only), and the operator commands run by the
// server for a CLI that cannot open the database itself (the server holds the embedded one): setup (dry run too) and
// one reconciliation run. `leadbridge doctor` and `replay` use GET /api/admin/doctor and /api/admin/leads/…/replay.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReconcileResult } from '../webhooks/index.js';
import type { CommandReport } from './commands.js';
import type { AppModule } from '../app-module.js';

export interface OpsRoutesDeps {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  webhookUrl: () => Promise<string>;
  /** `leadbridge setup [--dry-run]` as the server runs it (omitted → POST /api/admin/setup is not registered). */
  setup?: (o: { dryRun: boolean }) => Promise<CommandReport>;
  /** One reconciliation run (omitted → POST /api/admin/reconcile is not registered). */
  reconcile?: (o: { since?: number }) => Promise<ReconcileResult>;
}

const ReportSchema = z
  .object({ exit_code: z.number().int(), stdout: z.array(z.string()), stderr: z.array(z.string()) })
  .meta({ example: { exit_code: 0, stdout: ['Account: demo.amocrm.ru (sandbox emulator) — dry run\n', 'Nothing to change.'], stderr: [] } });

export function opsRoutes(deps: OpsRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/api/admin/webhook-url',
      {
        onRequest: deps.requireAdmin,
        schema: {
          tags: ['admin'],
          summary: 'The full webhook URL amoCRM must call (holds the secret)',
          security: [{ bearerAuth: [] }],
          response: {
            200: z.object({ url: z.string() }).meta({ example: { url: 'https://leads.example.ru/api/webhooks/amo/Zb3…' } }),
          },
        },
      },
      async () => ({ url: await deps.webhookUrl() }),
    );
    if (deps.setup) {
      const setup = deps.setup;
      // One setup at a time in this process (two would plan against the same snapshot and both create).
      let chain: Promise<unknown> = Promise.resolve();
      app.post(
        '/api/admin/setup',
        {
          onRequest: deps.requireAdmin,
          schema: {
            tags: ['admin'],
            summary: '`leadbridge setup`: create what the config needs in amoCRM (never deletes), subscribe the webhook; `dry_run` only plans',
            description: 'Answers 200 with what the command printed and its exit code (0 done, 1 problems, 2 not connected).',
            security: [{ bearerAuth: [] }],
            body: z.object({ dry_run: z.boolean().optional() }).strict().optional(),
            response: { 200: ReportSchema },
          },
        },
        async (req) => {
          const run = chain.then(() => setup({ dryRun: req.body?.dry_run === true }));
          chain = run.catch(() => undefined);
          const r = await run;
          return { exit_code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
        },
      );
    }
    if (deps.reconcile) {
      const reconcile = deps.reconcile;
      app.post(
        '/api/admin/reconcile',
        {
          onRequest: deps.requireAdmin,
          schema: {
            tags: ['admin'],
            summary: '`leadbridge reconcile`: one reconciliation run (amoCRM events since the cursor, or `since`)',
            security: [{ bearerAuth: [] }],
            body: z.object({ since: z.number().int().nonnegative().optional() }).strict().optional(),
            response: {
              200: z
                .object({ since: z.number(), cursor: z.number(), events: z.number(), leads: z.number(), repaired: z.number(), resubscribed: z.array(z.string()) })
                .meta({ example: { since: 1764633600, cursor: 1764637200, events: 12, leads: 5, repaired: 0, resubscribed: [] } }),
            },
          },
        },
        async (req) => reconcile(req.body?.since !== undefined ? { since: req.body.since } : {}),
      );
    }
  };
}

/** The operator endpoints as a module of the server. */
export function opsAppModule(deps: Omit<OpsRoutesDeps, 'requireAdmin'>): AppModule {
  return { name: 'ops', routes: (ctx) => opsRoutes({ ...deps, requireAdmin: ctx.requireAdmin }) };
}
