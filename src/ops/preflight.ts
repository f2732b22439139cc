// Checks run before the slow part of start-up (migrations, the sandbox's OAuth and setup), each failing with ONE
// clear line that says how to fix it: a port in use, a data directory that cannot be written.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { AppError } from '../errors.js';

export class StartupError extends AppError<'PORT_IN_USE' | 'PORT_FORBIDDEN' | 'DATA_DIR_UNWRITABLE'> {}

/** `what` names the setting, e.g. `PORT` or `LEADBRIDGE_EMULATOR_PORT`. */
export function portInUseError(port: number, host: string, what: string): StartupError {
  return new StartupError(
    'PORT_IN_USE',
    `port ${port} (${what}) is already in use on ${host}: stop the program using it (\`ss -ltnp 'sport = :${port}'\` shows which), or start with ${what}=<another port>`,
  );
}

/** Resolves when `port` can be bound on `host` (the probe is closed again at once); 0 = any port, not checked. */
export async function checkPortFree(port: number, host: string, what: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') fail(portInUseError(port, host, what));
      else if (e.code === 'EACCES') fail(new StartupError('PORT_FORBIDDEN', `port ${port} (${what}) needs root on this system: use a port above 1023, e.g. ${what}=8000`));
      else fail(e);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => ok()));
  });
}

/** Creates the data directory when missing and checks this user can write it. */
export function checkDataDir(dir: string): void {
  const abs = resolve(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const who = uid === undefined ? 'this user' : `user ${uid}`;
  const fix = `fix the owner (\`sudo chown -R ${uid ?? '$(id -u)'} ${abs}\`; in Docker the volume must belong to the \`node\` user) or set LEADBRIDGE_DATA_DIR to a writable directory`;
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new StartupError('DATA_DIR_UNWRITABLE', `data directory ${abs} is not writable by ${who}: ${fix}`);
    }
    throw e;
  }
}
