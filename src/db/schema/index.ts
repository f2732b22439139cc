// Every table, one file per domain. Add your domain's file here (one line); drizzle-kit reads src/db/schema/*.ts.
export * from './intake.js';
export * from './webhooks.js';
export * from './connect.js';
export * from './provision.js';
export * from './delivery.js';
export * from './events.js';
export * from './routing.js';
export * from './dashboard.js';
export * from './analytics.js';
export * from './followups.js';
export * from './whatsapp.js';
export * from './privacy.js';
