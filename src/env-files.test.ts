import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyEnvFiles } from './env-files.js';
import { loadConfig } from './config/index.js';

const dirWith = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-env-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

describe('applyEnvFiles', () => {
  it('reads .env then .env.local; the environment wins, empty values count as unset', () => {
    const dir = dirWith({
      '.env': 'PORT=8100\nLOG_LEVEL=debug\nLEADBRIDGE_PUBLIC_URL="https://leads.example.ru"\nexport LEADBRIDGE_RECONCILE_CRON="*/10 * * * *"\n',
      '.env.local': 'LOG_LEVEL=warn\n# a comment\nLEADBRIDGE_DEFAULT_COUNTRY=KZ\n',
    });
    const env: NodeJS.ProcessEnv = { PORT: '9000', LEADBRIDGE_DEFAULT_COUNTRY: '' };
    const r = applyEnvFiles(env, dir);
    expect(r.files).toEqual([join(dir, '.env'), join(dir, '.env.local')]);
    expect(env).toMatchObject({ PORT: '9000', LOG_LEVEL: 'warn', LEADBRIDGE_PUBLIC_URL: 'https://leads.example.ru', LEADBRIDGE_RECONCILE_CRON: '*/10 * * * *', LEADBRIDGE_DEFAULT_COUNTRY: 'KZ' });
    expect(r.applied).not.toContain('PORT');
    const c = loadConfig(env, { configPath: join(dir, 'none.yaml') });
    expect(c).toMatchObject({ port: 9000, logLevel: 'warn', publicUrl: 'https://leads.example.ru', reconcileCron: '*/10 * * * *', defaultCountry: 'KZ' });
  });

  it('reads nothing when there is no file', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(applyEnvFiles(env, dirWith({}))).toEqual({ files: [], applied: [] });
    expect(env).toEqual({});
  });

  it('.env.example copied as is is a valid sandbox config, and a shell can source it (set -a; . ./.env)', () => {
    const dir = dirWith({});
    copyFileSync(fileURLToPath(new URL('../.env.example', import.meta.url)), join(dir, '.env'));
    const env: NodeJS.ProcessEnv = {};
    applyEnvFiles(env, dir);
    const c = loadConfig(env, { configPath: join(dir, 'none.yaml') });
    expect(c.sandbox).toBe(true);
    expect(c.amocrm.redirectUri).toBeUndefined(); // derived from LEADBRIDGE_PUBLIC_URL
    expect(c.warnings).toEqual([]);
    // POSIX sh and bash (the guides' shell), with errors fatal: every line of the template must source cleanly.
    for (const shell of ['sh', 'bash']) {
      const out = execFileSync(shell, ['-c', 'set -eu; set -a; . ./.env; printf %s "$LEADBRIDGE_RECONCILE_CRON|$LEADBRIDGE_MAIL_FROM"'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out, shell).toBe(`${c.reconcileCron}|${c.followups.channels.mailFrom}`);
    }
  });
});
