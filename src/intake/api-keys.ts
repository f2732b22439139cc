// Per-source API keys for server-to-server callers (a site backend forwarding every visitor from one address):
// `X-Api-Key: <key>` on POST /api/leads and /api/crm puts the request in that key's own bucket (config `api_keys`,
// default 6,000 a minute) instead of the per-IP one, and the lead records the key's name (`source_key`).
// Anonymous browser posts keep the per-IP limit. A key that matches none is a 401, never treated as anonymous.
//
// Only SHA-256 digests of the keys are held; a presented key is hashed and compared with EVERY configured digest
// in constant time (timingSafeEqual over equal-length digests), so neither the match nor its position leaks.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { IntakeError } from './errors.js';

export interface IntakeApiKey {
  name: string;
  /** SHA-256 of the key, hex. */
  keySha256: string;
  perMinute: number;
}

export interface ApiKeyLimits {
  /** onRequest hook: resolves the caller's key (or none); 401 API_KEY_INVALID for a key that matches none. */
  identify(req: FastifyRequest): Promise<void>;
  /** The rate-limit bucket: `key:<name>` or the client IP. */
  keyGenerator(req: FastifyRequest): string;
  /** The bucket's limit per window. */
  max(req: FastifyRequest, bucket: string): number;
  /** The key's name for a request, undefined for anonymous posts. */
  sourceOf(req: FastifyRequest): string | undefined;
}

export const API_KEY_HEADER = 'x-api-key';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function presented(req: FastifyRequest): string | undefined {
  const header = req.headers[API_KEY_HEADER];
  const h = (Array.isArray(header) ? header[0] : header)?.trim();
  return h ? h : undefined;
}

export function apiKeyLimits(keys: IntakeApiKey[], perIp: number): ApiKeyLimits {
  const known = keys.map((k) => ({ ...k, hash: Buffer.from(k.keySha256, 'hex') }));
  const byName = new Map(keys.map((k) => [k.name, k]));
  const sources = new WeakMap<FastifyRequest, IntakeApiKey>();
  return {
    async identify(req) {
      const given = presented(req);
      if (given === undefined) return;
      const h = digest(given);
      let match: IntakeApiKey | undefined;
      for (const k of known) if (timingSafeEqual(h, k.hash) && !match) match = k;
      if (!match) {
        throw new IntakeError(
          'API_KEY_INVALID',
          401,
          'the X-Api-Key header matches no configured API key: send one of the keys named in `api_keys` of leadbridge.yaml, or no header for the anonymous per-IP limit',
        );
      }
      sources.set(req, match);
    },
    keyGenerator: (req) => {
      const k = sources.get(req);
      return k ? `key:${k.name}` : req.ip;
    },
    max: (_req, bucket) => (bucket.startsWith('key:') ? (byName.get(bucket.slice(4))?.perMinute ?? perIp) : perIp),
    sourceOf: (req) => sources.get(req)?.name,
  };
}
