// Any other builder (Elementor, Contact Form 7 add-ons, Marquiz, …): a per-form mapping in config from lead values
// to paths in the body (JSON or form-encoded, nested), constants, and an id path for dropping repeats.
import { createHash } from 'node:crypto';
import { CaptureError } from './errors.js';
import { getPath, LeadBody, sourceKey } from './map.js';

export interface GenericMapping {
  map: Record<string, string>;
  constants: Record<string, string>;
  id?: string;
}

const WINDOW_MS = 10 * 60_000;

/** Deeper than this no form builder nests; a hostile body could overflow the stack (422, not a 500). */
const MAX_DEPTH = 64;

/** Keys sorted at every level, so the same body always hashes the same. */
function canonical(v: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new CaptureError('TOO_DEEP', 422, `the body is nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, depth + 1)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function genericLead(form: string, body: Record<string, unknown>, m: GenericMapping, now: number): { body: Record<string, unknown>; idempotencyKey: string } {
  const lead = new LeadBody();
  for (const [name, value] of Object.entries(m.constants)) lead.set(name, value);
  for (const [name, path] of Object.entries(m.map)) lead.set(name, getPath(body, path));
  const id = m.id ? getPath(body, m.id) : undefined;
  const idempotencyKey =
    typeof id === 'string' || typeof id === 'number'
      ? sourceKey('generic', String(id))
      : // No id: the same body within a 10-minute window is one lead (a builder's resend, a double click).
        `generic:h:${createHash('sha256').update(canonical(body)).digest('hex').slice(0, 32)}:${Math.floor(now / WINDOW_MS)}`;
  return { body: lead.build(form), idempotencyKey };
}
