import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emulatorOptionsFrom } from './emulator.js';

const bin = fileURLToPath(new URL('../../bin/leadbridge.js', import.meta.url));

describe('leadbridge emulator', () => {
  it('takes flags over env and env over defaults', () => {
    const env = { LEADBRIDGE_EMULATOR_PORT: '9999', AMOCRM_SUBDOMAIN: 'envsub', AMOCRM_CLIENT_ID: 'env-id', AMOCRM_CLIENT_SECRET: 'env-secret', AMOCRM_REDIRECT_URI: 'https://e.test/cb' };
    const fromEnv = emulatorOptionsFrom({}, env);
    expect(fromEnv).toMatchObject({ port: 9999, subdomain: 'envsub', clientId: 'env-id', clientSecret: 'env-secret', redirectUri: 'https://e.test/cb' });
    const flags = emulatorOptionsFrom({ port: '0', subdomain: 'flag', rateLimit: false, latencyMs: '150', autoApprove: true }, env);
    expect(flags).toMatchObject({ port: 0, subdomain: 'flag', rateLimit: false, latencyMs: 150, autoApprove: true });
    expect(() => emulatorOptionsFrom({ port: 'x' }, {})).toThrow(/invalid port/);
  });

  it('defaults to 8001 like the sandbox; EMULATOR_PORT still works, with a deprecation warning', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(emulatorOptionsFrom({}, {}, warn).port).toBe(8001);
    expect(warnings).toEqual([]);
    expect(emulatorOptionsFrom({}, { EMULATOR_PORT: '8090' }, warn).port).toBe(8090);
    expect(warnings).toEqual([expect.stringMatching(/EMULATOR_PORT is deprecated: rename it to LEADBRIDGE_EMULATOR_PORT/)]);
    warnings.length = 0;
    expect(emulatorOptionsFrom({}, { EMULATOR_PORT: '8090', LEADBRIDGE_EMULATOR_PORT: '8002' }, warn).port).toBe(8002);
    expect(warnings).toEqual([expect.stringMatching(/deprecated and ignored/)]);
  });

  it('starts on a random port, prints its URL and closes cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', '--subdomain', 'clitest', '--no-rate-limit'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 90_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited early (${String(code)}): ${out}`)));
    });
    expect(out).toContain('clitest.amocrm.ru');
    expect(out).toContain('redirect uri');
    expect(out).toContain('/_emulator/faults');
    const health = (await (await fetch(`${url}/_emulator/health`)).json()) as { subdomain: string };
    expect(health.subdomain).toBe('clitest');
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
