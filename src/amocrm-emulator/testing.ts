// Small helpers for tests that talk to the emulator over real HTTP with plain fetch.
import { startEmulator, type EmulatorOptions, type RunningEmulator } from './index.js';

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
