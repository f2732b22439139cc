// What every route module gets: state, config, clock, tokens, effects. Passed in explicitly (no decorators).
import type { FastifyRequest } from 'fastify';
import type { Effects } from './effects.js';
import type { EmulatorConfig, EmulatorOptions } from './options.js';
import { fail } from './problems.js';
import type { EmulatorStore } from './state.js';
import type { AccessRec, TokenRegistry } from './tokens.js';

export interface EmuCtx {
  readonly config: EmulatorConfig;
  readonly opts: EmulatorOptions;
  store: EmulatorStore;
  tokens: TokenRegistry;
  effects: Effects;
  nowMs(): number;
  nowSec(): number;
}

const authKey = Symbol.for('leadbridge.emulator.auth');

export function setAuth(req: FastifyRequest, rec: AccessRec): void {
  (req as unknown as Record<symbol, AccessRec>)[authKey] = rec;
}

export function authOf(req: FastifyRequest): AccessRec {
  const rec = (req as unknown as Record<symbol, AccessRec | undefined>)[authKey];
  if (!rec) throw fail(401, 'Unauthorized');
  return rec;
}

/** The acting user: X-Context-User-ID for admin tokens (fact sheet §2.7), else the token's user. */
export function actor(req: FastifyRequest): number {
  const rec = authOf(req);
  const h = req.headers['x-context-user-id'];
  if (rec.admin && typeof h === 'string' && /^\d+$/.test(h)) return Number(h);
  return rec.userId;
}

export function requireAdmin(req: FastifyRequest): void {
  if (!authOf(req).admin) throw fail(403, 'Access denied');
}

export function withList(req: FastifyRequest): string[] {
  const w = (req.query as Record<string, unknown>).with;
  return typeof w === 'string' ? w.split(',').map((s) => s.trim()) : [];
}
