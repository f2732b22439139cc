// Dashboard queries: users, sessions and failed sign-ins (the tables of src/db/schema/dashboard.ts).
import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import {
  dashboardLoginFailures,
  dashboardSessions,
  dashboardUsers,
  type Database,
  type DashboardRole,
  type DashboardUserRow,
} from '../db/index.js';

export async function findUserByEmail(db: Database, email: string): Promise<DashboardUserRow | undefined> {
  const [row] = await db.select().from(dashboardUsers).where(eq(dashboardUsers.email, email)).limit(1);
  return row;
}

export async function countUsers(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(dashboardUsers);
  return row?.n ?? 0;
}

export async function insertUser(db: Database, u: { email: string; passwordHash: string; role: DashboardRole }): Promise<DashboardUserRow | undefined> {
  const [row] = await db.insert(dashboardUsers).values(u).onConflictDoNothing({ target: dashboardUsers.email }).returning();
  return row;
}

/** New hash; every session of the user ends (a reset password signs everyone out). */
export async function updatePassword(db: Database, email: string, passwordHash: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(dashboardUsers)
      .set({ passwordHash, updatedAt: sql`now()` })
      .where(eq(dashboardUsers.email, email))
      .returning({ id: dashboardUsers.id });
    if (!row) return false;
    await tx.delete(dashboardSessions).where(eq(dashboardSessions.userId, row.id));
    return true;
  });
}

export async function listUsers(db: Database): Promise<Pick<DashboardUserRow, 'email' | 'role' | 'createdAt'>[]> {
  return db
    .select({ email: dashboardUsers.email, role: dashboardUsers.role, createdAt: dashboardUsers.createdAt })
    .from(dashboardUsers)
    .orderBy(asc(dashboardUsers.createdAt));
}

export async function insertSession(db: Database, s: { id: string; userId: string; csrfToken: string; expiresAt: Date }): Promise<void> {
  await db.insert(dashboardSessions).values(s);
}

export interface SessionUser {
  sessionId: string;
  csrfToken: string;
  userId: string;
  email: string;
  role: DashboardRole;
  expiresAt: Date;
}

export async function findSession(db: Database, id: string, now: Date): Promise<SessionUser | undefined> {
  const [row] = await db
    .select({
      sessionId: dashboardSessions.id,
      csrfToken: dashboardSessions.csrfToken,
      userId: dashboardUsers.id,
      email: dashboardUsers.email,
      role: dashboardUsers.role,
      expiresAt: dashboardSessions.expiresAt,
    })
    .from(dashboardSessions)
    .innerJoin(dashboardUsers, eq(dashboardUsers.id, dashboardSessions.userId))
    .where(and(eq(dashboardSessions.id, id), gt(dashboardSessions.expiresAt, now)))
    .limit(1);
  return row;
}

export async function deleteSession(db: Database, id: string): Promise<void> {
  await db.delete(dashboardSessions).where(eq(dashboardSessions.id, id));
}

export async function deleteExpiredSessions(db: Database, now: Date): Promise<void> {
  await db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, now));
}

/** Failures per key since `since`: how many and the latest (epoch ms). */
export async function countFailures(db: Database, keys: string[], since: Date): Promise<Record<string, { n: number; lastMs: number }>> {
  const rows = await db
    .select({ key: dashboardLoginFailures.key, n: sql<number>`count(*)::int`, last: sql<string>`max(${dashboardLoginFailures.at})::text` })
    .from(dashboardLoginFailures)
    .where(and(sql`${dashboardLoginFailures.key} in (${sql.join(keys.map((k) => sql`${k}`), sql`, `)})`, gt(dashboardLoginFailures.at, since)))
    .groupBy(dashboardLoginFailures.key);
  return Object.fromEntries(rows.map((r) => [r.key, { n: r.n, lastMs: new Date(r.last).getTime() }]));
}

export async function recordFailure(db: Database, keys: string[], now: Date, pruneBefore: Date): Promise<void> {
  await db.delete(dashboardLoginFailures).where(lt(dashboardLoginFailures.at, pruneBefore));
  await db.insert(dashboardLoginFailures).values(keys.map((key) => ({ key, at: now })));
}

export async function clearFailures(db: Database, key: string): Promise<void> {
  await db.delete(dashboardLoginFailures).where(eq(dashboardLoginFailures.key, key));
}
