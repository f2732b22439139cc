// The sandbox's generated admin token, for a CLI on the same machine: the server writes it to
// `<data dir>/admin-token` (mode 0600, readable only by the user running the server) and the CLI reads it when
// LEADBRIDGE_ADMIN_TOKEN is unset. Outside the sandbox (a token set in the environment) the file is removed.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

/** Writes the generated token (0600), or with `undefined` removes a file left by an earlier sandbox run. */
export function writeAdminTokenFile(dataDir: string, token: string | undefined): void {
  const file = adminTokenPath(dataDir);
  if (token === undefined) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
}

/** The token in `<data dir>/admin-token`, or undefined when there is none (or it cannot be read). */
export function readAdminTokenFile(dataDir: string): string | undefined {
  try {
    const t = readFileSync(adminTokenPath(dataDir), 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}
