// Sign-in with a login rate limit kept in the database (so it holds across processes and restarts). Per email:
// the first 5 failures within 15 minutes are free, then each further attempt must wait 2^(n-5) seconds (capped at
// 15 min) after the last failure. Per IP: 50 failures within 15 minutes and the IP waits out the window. While
// limited, even the right password is refused with 429 and Retry-After.
import { createHash } from 'node:crypto';
import type { Database, DashboardRole } from '../db/index.js';
import { dummyHash, verifyPassword } from './passwords.js';
import { DashboardAuthError } from './session.js';
import { clearFailures, countFailures, findUserByEmail, recordFailure } from './sql.js';
import { normaliseEmail } from './users.js';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const FREE_FAILURES = 5;
export const IP_FAILURES = 50;

const emailKey = (email: string) => `email:${createHash('sha256').update(email).digest('hex')}`;

/** ms the caller must still wait (0 = may try now). */
export function waitMs(failures: { n: number; lastMs: number } | undefined, nowMs: number, free = FREE_FAILURES): number {
  if (!failures || failures.n < free) return 0;
  const delay = Math.min(LOGIN_WINDOW_MS, 1000 * 2 ** (failures.n - free));
  return Math.max(0, failures.lastMs + delay - nowMs);
}

export interface LoginDeps {
  db: Database;
  now: () => number;
}

export async function signIn(
  deps: LoginDeps,
  input: { email: string; password: string; ip: string },
): Promise<{ userId: string; email: string; role: DashboardRole }> {
  const email = normaliseEmail(input.email);
  const nowMs = deps.now();
  const keys = [emailKey(email), `ip:${input.ip}`];
  const failures = await countFailures(deps.db, keys, new Date(nowMs - LOGIN_WINDOW_MS));
  const ipFailures = failures[`ip:${input.ip}`];
  const wait = Math.max(
    waitMs(failures[emailKey(email)], nowMs),
    ipFailures && ipFailures.n >= IP_FAILURES ? ipFailures.lastMs + LOGIN_WINDOW_MS - nowMs : 0,
  );
  if (wait > 0) {
    const sec = Math.ceil(wait / 1000);
    throw new DashboardAuthError(429, 'LOGIN_RATE_LIMITED', `too many failed sign-ins; try again in ${sec} s`, { 'retry-after': String(sec) });
  }
  const user = await findUserByEmail(deps.db, email);
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), input.password);
  if (!user || !ok) {
    await recordFailure(deps.db, keys, new Date(nowMs), new Date(nowMs - LOGIN_WINDOW_MS));
    throw new DashboardAuthError(401, 'INVALID_CREDENTIALS', 'wrong email or password');
  }
  await clearFailures(deps.db, emailKey(email));
  return { userId: user.id, email: user.email, role: user.role };
}
