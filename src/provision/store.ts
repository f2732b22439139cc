// Persistence of the ResolvedMap that `leadbridge setup` produces (config keys → amoCRM ids), one row per
// connection key. Delivery and webhooks read it with `loadResolvedMap`.
import { eq, sql } from 'drizzle-orm';
import { provisionMaps, type Database } from '../db/index.js';
import type { ResolvedMap } from './types.js';

const DEFAULT_KEY = 'default';

export async function saveResolvedMap(db: Database, map: ResolvedMap, key: string = DEFAULT_KEY): Promise<void> {
  const value = map as unknown as Record<string, unknown>;
  await db
    .insert(provisionMaps)
    .values({ id: key, map: value })
    .onConflictDoUpdate({ target: provisionMaps.id, set: { map: value, updatedAt: sql`now()` } });
}

/** The stored map, or null before the first `leadbridge setup`. */
export async function loadResolvedMap(db: Pick<Database, 'select'>, key: string = DEFAULT_KEY): Promise<ResolvedMap | null> {
  const rows = await db.select({ map: provisionMaps.map }).from(provisionMaps).where(eq(provisionMaps.id, key)).limit(1);
  const map = rows[0]?.map;
  if (!map || typeof map !== 'object' || !('pipelines' in map) || !('fields' in map)) return null;
  return map as unknown as ResolvedMap;
}
