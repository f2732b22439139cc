// Analytics: the dashboard's read side (queries in sql.ts, routes under /api/analytics, CSV export).
export { analyticsRoutes, AnalyticsError, dayIn } from './routes.js';
export type { AnalyticsRouteDeps } from './routes.js';
export { createCatalog, openStages, CATALOG_TTL_MS } from './catalog.js';
export type { Catalog, CatalogPipeline, CatalogSource, CatalogStage } from './catalog.js';
export { toCsv, attachment } from './csv.js';
export type { CsvColumn } from './csv.js';
export * as analyticsSql from './sql.js';
export { createDealRollup, recomputeDeals, DEAL_FACT_EVENTS, ROLLUP_CONSUMER } from './rollup.js';
export type { DealRollup, DealRollupDeps } from './rollup.js';
export { createLeadRollup, recomputeLeads, rebuildLeads, relinkLeads, LEAD_FACT_EVENTS, LEAD_ROLLUP_CONSUMER } from './lead-rollup.js';
export type { LeadRollup, LeadRollupDeps } from './lead-rollup.js';
