// `.env` and `.env.local` (the two seed guides' files) → the environment, at start. The real environment wins: a
// file only fills variables that are unset or empty; `.env.local` wins over `.env` (the Next.js convention FitZone's
// guide follows). Parsed with Node's own `util.parseEnv` (quotes, comments, `export` prefixes).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';

export const ENV_FILES = ['.env', '.env.local'] as const;

export interface EnvFilesResult {
  /** Absolute paths of the files that existed and were read, in order. */
  files: string[];
  /** Names of the variables the files set (never their values: they hold secrets). */
  applied: string[];
}

/** Reads `.env` then `.env.local` from `dir` into `env` (mutated), never overriding a non-empty value already there. */
export function applyEnvFiles(env: NodeJS.ProcessEnv, dir: string = process.cwd()): EnvFilesResult {
  const fromFiles: Record<string, string> = {};
  const files: string[] = [];
  for (const name of ENV_FILES) {
    const path = resolve(join(dir, name));
    if (!existsSync(path)) continue;
    Object.assign(fromFiles, parseEnv(readFileSync(path, 'utf8')));
    files.push(path);
  }
  const applied: string[] = [];
  for (const [k, v] of Object.entries(fromFiles)) {
    if (env[k] !== undefined && env[k]?.trim() !== '') continue;
    env[k] = v;
    applied.push(k);
  }
  return { files, applied };
}
