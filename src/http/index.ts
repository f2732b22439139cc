// HTTP wiring: buildApp(deps), problem+json errors, admin auth, health, metrics, the root logger.
export { buildApp } from './app.js';
export type { AdminGuard, AppDeps, RouteContext } from './app.js';
export { createAdminGuard } from './auth.js';
export type { HealthCheck, HealthCheckResult } from './health.js';
export { createLogger, loggerOptions, REDACT_PATHS } from './logger.js';
export { createMetricsRegistry } from './metrics.js';
export { HttpProblem, problem, sendProblem } from './problem.js';
export type { Problem, ProblemFieldError } from './problem.js';
