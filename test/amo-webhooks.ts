// Test helper for the webhook parser tests: bodies written as the fact sheet prints them, turned into wire form.
import { phpUrlencode } from '../src/amocrm/webhooks/encode.js';

/** Decoded `key=value` lines (one per line, as in fact sheet §8) → one percent-encoded wire body, PHP style. */
export function wire(decoded: string): string {
  return decoded
    .trim()
    .split('\n')
    .map((line) => {
      const eq = line.indexOf('=');
      return `${phpUrlencode(line.slice(0, eq).trim())}=${phpUrlencode(line.slice(eq + 1))}`;
    })
    .join('&');
}
