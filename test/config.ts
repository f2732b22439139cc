import { loadConfig, type Config } from '../src/config/index.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Built-in defaults (no YAML file) + an admin token, with per-test overrides. */
export function testConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = {}): Config {
  const base = loadConfig({ LEADBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env }, { configPath: '/nonexistent/leadbridge.yaml' });
  return { ...base, ...overrides };
}
