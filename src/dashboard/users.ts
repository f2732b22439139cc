// Dashboard users: add, reset a password, list, and the first admin from the environment (or generated in the
// sandbox). Emails are compared lower-cased; passwords are never logged or stored in clear.
import type { Database, DashboardRole } from '../db/index.js';
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH } from './passwords.js';
import { countUsers, findUserByEmail, insertUser, listUsers, updatePassword } from './sql.js';
import { AppError } from '../errors.js';

export class DashboardUserError extends AppError<'INVALID_EMAIL' | 'WEAK_PASSWORD' | 'USER_EXISTS' | 'USER_NOT_FOUND'> {}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function check(email: string, password: string): void {
  if (!EMAIL.test(email)) throw new DashboardUserError('INVALID_EMAIL', `not an email address: ${email}`);
  if (password.length < MIN_PASSWORD_LENGTH) throw new DashboardUserError('WEAK_PASSWORD', `the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
}

export async function addUser(db: Database, input: { email: string; password: string; role: DashboardRole }): Promise<void> {
  const email = normaliseEmail(input.email);
  check(email, input.password);
  const row = await insertUser(db, { email, passwordHash: await hashPassword(input.password), role: input.role });
  if (!row) throw new DashboardUserError('USER_EXISTS', `a user ${email} already exists`);
}

export async function resetPassword(db: Database, emailIn: string, password: string): Promise<void> {
  const email = normaliseEmail(emailIn);
  check(email, password);
  if (!(await updatePassword(db, email, await hashPassword(password)))) throw new DashboardUserError('USER_NOT_FOUND', `no user ${email}`);
}

export { listUsers };

export interface FirstAdminResult {
  email: string;
  /** Set only when the password was generated here (sandbox): the caller prints it once. */
  generatedPassword?: string;
  created: boolean;
}

/**
 * The first admin: LEADBRIDGE_ADMIN_EMAIL + LEADBRIDGE_ADMIN_PASSWORD create it when no user exists yet (later
 * changes go through `leadbridge users reset-password`). In the sandbox a missing password is generated and the
 * email defaults to admin@leadbridge.local. Nothing happens when users exist already.
 */
export async function ensureFirstAdmin(
  db: Database,
  opts: { email?: string | undefined; password?: string | undefined; sandbox: boolean },
): Promise<FirstAdminResult | undefined> {
  if ((await countUsers(db)) > 0) {
    const email = opts.email ? normaliseEmail(opts.email) : undefined;
    return email && (await findUserByEmail(db, email)) ? { email, created: false } : undefined;
  }
  const email = normaliseEmail(opts.email ?? (opts.sandbox ? 'admin@leadbridge.local' : ''));
  if (!email) return undefined;
  let password = opts.password;
  let generatedPassword: string | undefined;
  if (!password) {
    if (!opts.sandbox) return undefined;
    password = generatedPassword = generatePassword();
  }
  await addUser(db, { email, password, role: 'admin' });
  return { email, created: true, ...(generatedPassword ? { generatedPassword } : {}) };
}
