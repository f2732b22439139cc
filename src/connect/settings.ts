// Generated secrets kept in `app_settings` (key → value): created once, then the same value on every start and in
// every process (insert … on conflict do nothing, then read back: the first writer wins).
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { appSettings, type Database } from '../db/index.js';

export async function getSetting(db: Database, key: string): Promise<string | undefined> {
  const rows = await db.select({ value: appSettings.value }).from(appSettings).where(eq(appSettings.key, key)).limit(1);
  return rows[0]?.value;
}

/** The stored value for `key`, creating it with `make()` the first time. */
export async function ensureSetting(db: Database, key: string, make: () => string): Promise<string> {
  const existing = await getSetting(db, key);
  if (existing !== undefined) return existing;
  await db.insert(appSettings).values({ key, value: make() }).onConflictDoNothing();
  const value = await getSetting(db, key);
  if (value === undefined) throw new Error(`app_settings.${key} could not be stored`);
  return value;
}

export async function deleteSetting(db: Database, key: string): Promise<void> {
  await db.delete(appSettings).where(eq(appSettings.key, key));
}

export const randomSecret = (bytes = 24): string => randomBytes(bytes).toString('base64url');
