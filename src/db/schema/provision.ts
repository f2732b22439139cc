// Provision tables: the ResolvedMap (config keys → amoCRM ids) that `leadbridge setup` stores for delivery/webhooks.
import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const provisionMaps = pgTable('provision_maps', {
  /** One map per connection key ('default'). */
  id: text('id').primaryKey(),
  /** A provision ResolvedMap (typed at the edge: src/provision/store.ts). */
  map: jsonb('map').$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
