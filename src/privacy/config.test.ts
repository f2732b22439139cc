import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/index.js';

const yaml = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'leadbridge-retention-')), 'leadbridge.yaml');
  writeFileSync(path, text);
  return path;
};

describe('retention settings', () => {
  it('defaults to 30 days each, reads the file, and the environment wins', () => {
    expect(loadConfig({}, { configPath: '/nonexistent.yaml' }).retention).toEqual({ rawWebhookDays: 30, spamDays: 30 });
    const file = yaml('retention:\n  raw_webhook_days: 7\n  spam_days: 0\n');
    expect(loadConfig({}, { configPath: file }).retention).toEqual({ rawWebhookDays: 7, spamDays: 0 });
    expect(loadConfig({ LEADBRIDGE_RETENTION_RAW_WEBHOOK_DAYS: '0', LEADBRIDGE_RETENTION_SPAM_DAYS: '90' }, { configPath: file }).retention).toEqual({
      rawWebhookDays: 0,
      spamDays: 90,
    });
  });

  it('refuses a value that is not a whole number of days, naming the variable', () => {
    let err: unknown;
    try {
      loadConfig({ LEADBRIDGE_RETENTION_SPAM_DAYS: '-1' }, { configPath: '/nonexistent.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('LEADBRIDGE_RETENTION_SPAM_DAYS');
  });
});

describe('consent version of a form', () => {
  it('comes from forms.<key>.consent_version', () => {
    const c = loadConfig({}, { configPath: yaml('forms:\n  fitzone:\n    consent_version: "2025-09-01"\n  other: {}\n') });
    expect(c.forms.fitzone?.consentVersion).toBe('2025-09-01');
    expect(c.forms.other?.consentVersion).toBeUndefined();
  });
});
