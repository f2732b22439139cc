import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../src/config/index.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Built-in defaults (no YAML file) + an admin token, with per-test overrides. */
export function testConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = {}): Config {
  const base = loadConfig({ LEADBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env }, { configPath: '/nonexistent/leadbridge.yaml' });
  return { ...base, ...overrides };
}

let yamlDir: string | undefined;
const configDir = (): string => (yamlDir ??= mkdtempSync(join(tmpdir(), 'leadbridge-config-')));

/** Writes a config file to a temp dir; returns its path. */
export function yamlFile(text: string): string {
  const path = join(configDir(), `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** A config path where no file is. */
export const missingConfigPath = (): string => join(configDir(), 'missing.yaml');

/** The problems of the ConfigError `fn` throws (fails when it throws none). */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
