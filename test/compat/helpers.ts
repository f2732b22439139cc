// Transport seams for driving third-party amoCRM clients against the emulator without touching their files.
import https from 'node:https';
import net from 'node:net';
import { DEFAULT_CLIENT_ID } from '../../src/amocrm-emulator/index.js';

/** Walks the emulator's auto-approving consent page and returns the code and referer it redirects with. */
export async function authorizationCode(emuUrl: string): Promise<{ code: string; referer: string }> {
  const res = await fetch(`${emuUrl}/oauth?client_id=${DEFAULT_CLIENT_ID}&state=compat&mode=post_message`, { redirect: 'manual' });
  const to = new URL(res.headers.get('location') ?? '');
  const code = to.searchParams.get('code');
  const referer = to.searchParams.get('referer');
  if (!code || !referer) throw new Error(`no code in the consent redirect (${res.status})`);
  return { code, referer };
}

/** Rewrites `fetch` calls to `fromOrigin` (e.g. https://acc.amocrm.ru) onto the emulator; returns the undo. */
export function redirectFetch(fromOrigin: string, toOrigin: string): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return original(url.startsWith(fromOrigin) ? toOrigin + url.slice(fromOrigin.length) : input, init);
  }) as typeof fetch;
  return () => {
    globalThis.fetch = original;
  };
}

/** Sends every `https.request` that uses the global agent over plain TCP to 127.0.0.1:`port` (no DNS, no TLS). */
export function redirectHttps(port: number): () => void {
  const original = https.globalAgent;
  class ToEmulator extends https.Agent {
    override createConnection(): net.Socket {
      return net.connect(port, '127.0.0.1');
    }
  }
  https.globalAgent = new ToEmulator({ keepAlive: false });
  return () => {
    https.globalAgent = original;
  };
}

/** Counts calls passing per library and prints one line (`library: N/M calls pass`) when the file ends. */
export function tally(library: string) {
  const results: { name: string; ok: boolean }[] = [];
  return {
    it(name: string, fn: () => Promise<void>): [string, () => Promise<void>] {
      return [
        name,
        async () => {
          const r = { name, ok: false };
          results.push(r);
          await fn();
          r.ok = true;
        },
      ];
    },
    print() {
      const ok = results.filter((r) => r.ok).length;
      process.stdout.write(`compat: ${library}: ${ok}/${results.length} calls pass${ok < results.length ? ` (failing: ${results.filter((r) => !r.ok).map((r) => r.name).join('; ')})` : ''}\n`);
    },
  };
}
