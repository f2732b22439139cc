// Analytics: the dashboard's read side (queries in sql.ts, routes under /api/analytics, CSV export).
export { analyticsRoutes } from './routes.js';
export { createCatalog } from './catalog.js';
export type { CatalogSource } from './catalog.js';
export { attachment } from './csv.js';
export * as analyticsSql from './sql.js';
export { createDealRollup, recomputeDeals } from './rollup.js';
export type { DealRollup } from './rollup.js';
export { createLeadRollup, rebuildLeads } from './lead-rollup.js';
