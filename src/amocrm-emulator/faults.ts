// Scripted fault injection (style.md §5.5): "next 2 POST /api/v4/leads → 503", delays, dropped sockets, faults after the work.
import type { FaultSpec } from './options.js';

export interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class FaultTable {
  private faults: ActiveFault[] = [];

  add(f: FaultSpec): void {
    this.faults.push({ ...f, remaining: f.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults;
  }

  /** Finds and consumes the first fault matching the request. */
  take(method: string, path: string): ActiveFault | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (!x.method || x.method.toUpperCase() === method.toUpperCase()) && matches(x.path, path));
    if (!f) return undefined;
    f.remaining -= 1;
    this.faults = this.faults.filter((x) => x.remaining > 0);
    return f;
  }
}

function matches(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}

export function faultBody(f: FaultSpec): { body: string; type: string } {
  if (f.body === undefined) {
    const status = f.status ?? 500;
    return {
      body: JSON.stringify({ title: status >= 500 ? 'ErrInternalServer' : 'Error', status, detail: 'Injected fault' }),
      type: 'application/problem+json',
    };
  }
  if (typeof f.body === 'string') return { body: f.body, type: f.contentType ?? 'text/html' };
  return { body: JSON.stringify(f.body), type: f.contentType ?? 'application/problem+json' };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
