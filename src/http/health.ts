// GET /health: the database (required), plus checks other modules plug in (amoCRM connection, queue depth).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface HealthCheckResult {
  ok: boolean;
  /** Safe-to-show details (counts, states); never secrets. */
  [detail: string]: unknown;
}

export type HealthCheck = () => Promise<HealthCheckResult>;

export interface HealthDeps {
  /** `select 1` on the database; failure → 503. */
  pingDb: () => Promise<void>;
  dbKind: 'pglite' | 'postgres';
  sandbox: boolean;
  /** Optional checks by name (e.g. `amocrm`, `queue`); a failing one makes the status "degraded" (still 200). */
  checks?: Record<string, HealthCheck>;
  timeoutMs?: number;
}

const CheckSchema = z.object({ ok: z.boolean() }).loose();
const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  /** Why it is not ok, one line per failing check (`delivery: 1 failed and 0 dead lead(s) need a person…`). */
  reasons: z.array(z.string()).optional(),
  sandbox: z.boolean(),
  checks: z.record(z.string(), CheckSchema),
});

async function run(check: HealthCheck, timeoutMs: number): Promise<HealthCheckResult> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<HealthCheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: 'timeout' }), timeoutMs);
    });
    const result = await Promise.race([check(), timeout]);
    return { ...result, ms: Date.now() - started };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e), ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: HealthDeps): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/health',
      { schema: { tags: ['ops'], summary: 'Database, amoCRM connection, queue depth, sandbox', response: { 200: HealthSchema, 503: HealthSchema } } },
      async (_req, reply) => {
        const timeoutMs = deps.timeoutMs ?? 3000;
        const names = ['database', ...Object.keys(deps.checks ?? {})];
        const fns: HealthCheck[] = [
          async () => {
            await deps.pingDb();
            return { ok: true, kind: deps.dbKind };
          },
          ...Object.values(deps.checks ?? {}),
        ];
        const results = await Promise.all(fns.map((fn) => run(fn, timeoutMs)));
        const checks: Record<string, HealthCheckResult> = {};
        names.forEach((n, i) => (checks[n] = results[i] ?? { ok: false }));
        const dbOk = checks.database?.ok === true;
        const status = !dbOk ? 'down' : results.every((r) => r.ok) ? 'ok' : 'degraded';
        const reasons = Object.entries(checks)
          .filter(([, c]) => !c.ok)
          .map(([n, c]) => `${n}: ${[c.reason, c.fix, c.error].find((x): x is string => typeof x === 'string') ?? 'not ok'}`);
        return reply.code(dbOk ? 200 : 503).send({ status, ...(reasons.length > 0 ? { reasons } : {}), sandbox: deps.sandbox, checks });
      },
    );
  };
}
