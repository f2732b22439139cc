// Small helpers for tests that talk to the emulator over real HTTP with plain fetch.
import { createServer } from 'node:http';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/amocrm-emulator/index.js';

export interface TestEmu extends RunningEmulator {
  token: string;
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; type: string; json: any; text: string }>;
}

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<TestEmu> {
  const emu = await startEmulator({ rateLimit: false, ...opts });
  const { access_token } = await emu.control.issueTokens();
  const api: TestEmu['api'] = async (method, path, body, token = access_token) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(emu.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', json, text };
  };
  return Object.assign(emu, { token: access_token, api });
}

/** A real HTTP webhook receiver for tests: collects raw form bodies (parse them with `qs.parse(body, { depth: 10 })`). */
export interface HookReceiver {
  url: string;
  bodies: string[];
  close(): Promise<void>;
}

export async function startHookReceiver(status = 200): Promise<HookReceiver> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      bodies.push(b);
      res.statusCode = status;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/amo/hook`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}
