// HTTP wiring: buildApp(deps), problem+json errors, admin auth, health, /metrics. The root logger, the error base
// class and the metrics registry are src/logger.ts, src/errors.ts and src/metrics.ts.
export { buildApp } from './app.js';
export type { RouteContext } from './app.js';
export type { HealthCheck } from './health.js';
export { problem, sendProblem } from './problem.js';
export type { Problem } from './problem.js';
