// Entry point: body + Content-Type → { account, events }. Throws only WebhookParseError.

import { WebhookParseError, resolveLimits } from './errors.js';
import type { ParseLimits } from './errors.js';
import type { ParsedWebhook } from './events.js';
import { parseFormBody } from './form-parser.js';
import { parseJsonBody } from './json-body.js';
import { toAccount, toEvents } from './normalize.js';
import type { Tree } from './tree.js';

type BodyKind = 'form' | 'json';

function bodyKind(contentType: string): BodyKind | undefined {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (media === 'application/x-www-form-urlencoded') return 'form';
  if (media === 'application/json' || /^application\/[\w.+-]+\+json$/.test(media)) return 'json';
  return undefined;
}

/**
 * Parse an amoCRM webhook delivery (PHP form body or the same structure as JSON) into typed events, one per item
 * of every action of every entity key, in body order. Limits default to DEFAULT_PARSE_LIMITS.
 * @throws WebhookParseError (and nothing else) with a machine-readable `code`.
 */
export function parseWebhook(
  body: string | Buffer,
  contentType: string | undefined,
  opts?: ParseLimits,
): ParsedWebhook {
  try {
    return parseUnsafe(body, contentType, resolveLimits(opts));
  } catch (err) {
    if (err instanceof WebhookParseError) throw err;
    // Defensive: a bug here must still surface as a parse error, never as a crash of the receiver.
    throw new WebhookParseError('MALFORMED', 'webhook body could not be parsed', { cause: err });
  }
}

function parseUnsafe(
  body: string | Buffer,
  contentType: string | undefined,
  limits: Required<ParseLimits>,
): ParsedWebhook {
  const kind = bodyKind(typeof contentType === 'string' ? contentType : '');
  if (!kind) throw new WebhookParseError('UNSUPPORTED_CONTENT_TYPE', 'expected form-urlencoded or JSON body');
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > limits.maxBodyBytes) {
    throw new WebhookParseError('BODY_TOO_LARGE', `body is ${size} bytes, limit is ${limits.maxBodyBytes}`);
  }
  let text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new WebhookParseError('EMPTY', 'webhook body is empty');
  const tree: Tree = kind === 'form' ? parseFormBody(text.trim(), limits) : parseJsonBody(text, limits);
  if (tree.size === 0) throw new WebhookParseError('EMPTY', 'webhook body has no keys');
  return { account: toAccount(tree), events: toEvents(tree) };
}
