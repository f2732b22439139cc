// The only error the webhook parser throws. `code` is machine-readable so the receiver can map it to a status
// (BODY_TOO_LARGE → 413, UNSUPPORTED_CONTENT_TYPE → 415, everything else → 400) without reading messages.

export type WebhookParseErrorCode =
  | 'BODY_TOO_LARGE'
  | 'TOO_DEEP'
  | 'TOO_MANY_KEYS'
  | 'ARRAY_TOO_LARGE'
  | 'MALFORMED'
  | 'UNSUPPORTED_CONTENT_TYPE'
  | 'EMPTY'
  /** Thrown by the receiver, not the parser: a number that does not fit (an id ≥ 2^53, a time past 9999). */
  | 'OUT_OF_RANGE';

export class WebhookParseError extends Error {
  override readonly name = 'WebhookParseError';

  constructor(
    readonly code: WebhookParseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Limits applied before and while parsing. Every field is optional; defaults in DEFAULT_PARSE_LIMITS. */
export interface ParseLimits {
  /** Max body size in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Max number of bracket levels below the root key (default 12; `a[b][c]` has 2). */
  maxDepth?: number;
  /** Max number of key=value pairs (form) or values (JSON) (default 20,000). */
  maxKeys?: number;
  /** Max numeric list index (default 10,000). */
  maxIndex?: number;
}

export const DEFAULT_PARSE_LIMITS: Required<ParseLimits> = {
  maxBodyBytes: 1024 * 1024,
  maxDepth: 12,
  maxKeys: 20_000,
  maxIndex: 10_000,
};

export function resolveLimits(opts: ParseLimits | undefined): Required<ParseLimits> {
  return { ...DEFAULT_PARSE_LIMITS, ...stripUndefined(opts ?? {}) };
}

function stripUndefined(o: ParseLimits): ParseLimits {
  const out: ParseLimits = {};
  if (o.maxBodyBytes !== undefined) out.maxBodyBytes = o.maxBodyBytes;
  if (o.maxDepth !== undefined) out.maxDepth = o.maxDepth;
  if (o.maxKeys !== undefined) out.maxKeys = o.maxKeys;
  if (o.maxIndex !== undefined) out.maxIndex = o.maxIndex;
  return out;
}
