import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDirLock, DataDirLockedError } from './lock.js';

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'leadbridge-lock-')), 'leadbridge.lock');

describe('acquireDirLock', () => {
  it('writes our pid and removes the file on release', () => {
    const path = lockPath();
    const lock = acquireDirLock(path);
    expect(readFileSync(path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses while another live process holds the lock', () => {
    const path = lockPath();
    writeFileSync(path, `${process.ppid}\n`);
    expect(() => acquireDirLock(path)).toThrow(DataDirLockedError);
    expect(readFileSync(path, 'utf8').trim()).toBe(String(process.ppid));
  });

  it('takes over a stale lock left by a dead process', () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(path, `${dead}\n`);
    const lock = acquireDirLock(path);
    expect(readFileSync(path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock file with garbage in it', () => {
    const path = lockPath();
    writeFileSync(path, 'not a pid');
    acquireDirLock(path).release();
    expect(existsSync(path)).toBe(false);
  });
});
