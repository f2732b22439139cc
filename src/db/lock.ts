// PGlite does not lock its data directory (stack.md §4.5), so we do: a lock file holding the owner's pid.
// A lock left by a dead process is taken over; a live owner (including this process) makes the open fail.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { AppError } from '../errors.js';

export class DataDirLockedError extends AppError<'DATA_DIR_LOCKED'> {
  constructor(
    readonly lockPath: string,
    readonly pid: number,
  ) {
    super(
      'DATA_DIR_LOCKED',
      `data directory is in use by process ${pid} (lock file ${lockPath}): another Leadbridge runs with it. ` +
        'Stop that process first, or give this one its own LEADBRIDGE_DATA_DIR (or DATABASE_URL for several processes)',
    );
  }
}

export interface DirLock {
  path: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function acquireDirLock(lockPath: string, pid = process.pid): DirLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        path: lockPath,
        release() {
          if (released) return;
          released = true;
          if (readPid(lockPath) === pid) unlinkSync(lockPath);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readPid(lockPath);
      if (owner !== undefined && isAlive(owner)) throw new DataDirLockedError(lockPath, owner);
      // Stale (dead pid or garbage): take it over. Another process may race us; 'wx' decides who wins.
      try {
        unlinkSync(lockPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  throw new DataDirLockedError(lockPath, readPid(lockPath) ?? 0);
}
