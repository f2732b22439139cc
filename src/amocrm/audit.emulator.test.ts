// The audit line ("log every amoCRM operation"): one info line per call against the emulator over real HTTP, with
// method, path, query keys, status, ms and request id — never a query value, a body or a token. And reachability:
// one line when amoCRM stops answering, one when it answers again, however many calls fail between.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { AmoClient } from './client.js';
import { AmoConnectionError } from './errors.js';
import type { AmoLogger } from './request.js';
import { longLivedTokenSet, MemoryTokenStore } from './tokens.js';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, logger: false, rateLimit: false });
});
afterAll(async () => {
  await emu.close();
});

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}
function recorder(): { logger: AmoLogger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

async function client(baseUrl: string, logger: AmoLogger, audit = true) {
  const { access_token } = await emu.control.issueLongLivedToken({ admin: true });
  return { token: access_token, amo: new AmoClient({ domain: emu.config.domain, baseUrl, tokens: new MemoryTokenStore(longLivedTokenSet(access_token)), logger, audit, maxRetries: 0, timeoutMs: 10_000 }) };
}

describe('audit line per amoCRM call', () => {
  it('logs exactly one info line per call with method, path, status, ms and request id, and no personal data or token', async () => {
    const { logger, lines } = recorder();
    const { amo, token } = await client(emu.url, logger);
    await amo.contacts.create([{ name: 'Анна Петрова', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79161234567', enum_code: 'WORK' }] }] }]);
    await amo.request('GET', '/api/v4/contacts', { query: { query: '+79161234567', limit: 50 } });
    const audit = lines.filter((l) => l.msg === 'amocrm call');
    expect(audit).toHaveLength(2);
    expect(audit.every((l) => l.level === 'info')).toBe(true);
    const [create, search] = audit.map((l) => l.obj);
    expect(create).toMatchObject({ audit: 'amocrm', method: 'POST', path: '/api/v4/contacts', status: 200, attempts: 1 });
    expect(search).toMatchObject({ audit: 'amocrm', method: 'GET', path: '/api/v4/contacts', query: ['query', 'limit'], attempts: 1 });
    expect([200, 204]).toContain(search?.status);
    for (const a of [create, search]) {
      expect(typeof a?.ms).toBe('number');
      expect(a?.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof a?.amo_request_id).toBe('string'); // the emulator answers with its own X-Request-Id
    }
    expect(create?.request_id).not.toBe(search?.request_id);
    const text = JSON.stringify(lines);
    for (const secret of ['+79161234567', '79161234567', 'Анна', token]) expect(text).not.toContain(secret);
  });

  it('a failed call is one line too (status, error code), and audit off logs none', async () => {
    const { logger, lines } = recorder();
    const { amo } = await client(emu.url, logger);
    await expect(amo.request('POST', '/api/v4/leads', { body: [{ name: 'Анна', price: 'много' }] })).rejects.toThrow();
    const audit = lines.filter((l) => l.msg === 'amocrm call');
    expect(audit).toHaveLength(1);
    expect(audit[0]?.obj).toMatchObject({ method: 'POST', path: '/api/v4/leads', status: 400, error: 'VALIDATION' });
    expect(JSON.stringify(lines)).not.toContain('Анна');

    const quiet = recorder();
    const off = await client(emu.url, quiet.logger, false);
    await off.amo.account.get();
    expect(quiet.lines.filter((l) => l.msg === 'amocrm call')).toHaveLength(0);
  });
});

describe('reachability', () => {
  it('says unreachable once however many calls fail, and reachable again once', async () => {
    // A port nobody listens on, later a proxy to the emulator on that same port.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { logger, lines } = recorder();
    const { amo } = await client(`http://127.0.0.1:${port}`, logger, false);
    expect(amo.reachability().state).toBe('unknown');
    for (let i = 0; i < 5; i++) await expect(amo.account.get()).rejects.toBeInstanceOf(AmoConnectionError);
    expect(amo.reachability()).toMatchObject({ state: 'unreachable', error: 'CONNECTION', failures: 5 });
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg)).toEqual(['amocrm unreachable (no answer); logged again when it answers']);

    const target = new URL(emu.url);
    const proxy: Server = createServer((req, res) => {
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    try {
      await amo.account.get();
      await amo.account.get();
      expect(amo.reachability().state).toBe('reachable');
      const again = lines.filter((l) => l.msg === 'amocrm reachable again');
      expect(again).toHaveLength(1);
      expect(again[0]?.obj).toMatchObject({ failedCalls: 5 });
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
