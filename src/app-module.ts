// The shape every domain contributes to the running server (runtime/ builds them, http/ mounts them): its routes,
// its health checks and what it starts once the HTTP server listens. Stopping is not here: whatever a builder starts
// registers a named, timed shutdown step on the runtime when it is built (runtime.onClose), so the CLI and the
// server stop the same way and shutdown runs in the reverse order of the build. Types only; imports nothing of the
// app, so any folder may use it without a cycle.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';

/** What a module's routes receive from the app: the admin guard (LEADBRIDGE_ADMIN_TOKEN) and the shared metrics. */
export interface RouteContext {
  requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  metrics: Registry;
}

export interface ModuleHealth {
  ok: boolean;
  /** Safe-to-show details (counts, states); never secrets. */
  [detail: string]: unknown;
}

export interface AppModule {
  name: string;
  /** Registered in the order the modules are given. */
  routes?(ctx: RouteContext): FastifyPluginAsync;
  /** Named checks of GET /health (`amocrm`, `delivery`, …). */
  health?: Record<string, () => Promise<ModuleHealth>>;
  /** After the HTTP server listens (`appUrl` = http://127.0.0.1:<port>): workers, schedules. */
  start?(appUrl: string): Promise<void>;
}
