// HTTP wiring: buildApp(deps), problem+json errors, admin auth, health, /metrics. The root logger, the error base
// class and the metrics registry are src/logger.ts, src/errors.ts and src/metrics.ts.
export { buildApp } from './app.js';
export type { AdminGuard, AppDeps, RouteContext } from './app.js';
export { createAdminGuard } from './auth.js';
export type { HealthCheck, HealthCheckResult } from './health.js';
export { HttpProblem, problem, sendProblem } from './problem.js';
export type { Problem, ProblemFieldError } from './problem.js';
