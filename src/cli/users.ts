// `leadbridge users add <email> [--role viewer|admin]`, `users reset-password <email>`, `users list`: dashboard
// users. The password comes from piped stdin (first line) or LEADBRIDGE_USER_PASSWORD; with neither (a terminal)
// one is generated and printed once. On embedded PGlite stop the server first (it holds the data folder).
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import { addUser, DashboardUserError, generatePassword, listUsers, resetPassword } from '../dashboard/index.js';
import { createLogger } from '../logger.js';
import { openCliRuntime, withRuntime } from './runtime.js';
import { COMMANDS } from './commands.js';

async function readPassword(): Promise<{ password: string; generated: boolean }> {
  const env = process.env.LEADBRIDGE_USER_PASSWORD;
  if (env) return { password: env, generated: false };
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    const line = text.split(/\r?\n/)[0] ?? '';
    if (line) return { password: line, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

async function withDb<T>(configPath: string | undefined, fn: (db: Db) => Promise<T>): Promise<T | undefined> {
  const config = loadConfig(process.env, configPath ? { configPath } : {});
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const rt = await openCliRuntime(config, {}, { logger });
  return withRuntime(rt, async () => {
    try {
      return await fn(rt.db);
    } catch (err) {
      if (err instanceof DashboardUserError) {
        process.stderr.write(`leadbridge users: ${err.message}\n`);
        process.exitCode = 1;
        return undefined;
      }
      throw err;
    }
  });
}

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description(COMMANDS['users']);
  users
    .command('add')
    .argument('<email>')
    .option('-r, --role <role>', 'admin or viewer', 'viewer')
    .option('-c, --config <path>', 'config file')
    .description('Add a dashboard user (password from stdin / LEADBRIDGE_USER_PASSWORD, or generated)')
    .action(async (email: string, o: { role: string; config?: string }) => {
      if (o.role !== 'admin' && o.role !== 'viewer') {
        process.stderr.write('leadbridge users add: --role is admin or viewer\n');
        process.exitCode = 2;
        return;
      }
      const { password, generated } = await readPassword();
      const role = o.role;
      const done = await withDb(o.config, async (db) => {
        await addUser(db.db, { email, password, role });
        return true;
      });
      if (done) process.stdout.write(`added ${email.trim().toLowerCase()} (${role})${generated ? `; password: ${password}` : ''}\n`);
    });
  users
    .command('reset-password')
    .argument('<email>')
    .option('-c, --config <path>', 'config file')
    .description("Set a new password (stdin / LEADBRIDGE_USER_PASSWORD, or generated); ends the user's sessions")
    .action(async (email: string, o: { config?: string }) => {
      const { password, generated } = await readPassword();
      const done = await withDb(o.config, async (db) => {
        await resetPassword(db.db, email, password);
        return true;
      });
      if (done) process.stdout.write(`password reset for ${email.trim().toLowerCase()}${generated ? `; new password: ${password}` : ''}\n`);
    });
  users
    .command('list')
    .option('-c, --config <path>', 'config file')
    .description('List dashboard users')
    .action(async (o: { config?: string }) => {
      await withDb(o.config, async (db) => {
        for (const u of await listUsers(db.db)) process.stdout.write(`${u.email}\t${u.role}\t${u.createdAt.toISOString()}\n`);
      });
    });
}
