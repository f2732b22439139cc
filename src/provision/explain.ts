// amoCRM errors → plain-language sentences for `leadbridge setup`. Duck-typed on the SDK's error shape
// (`status`, `problem`, `code`) so this module needs nothing but the wire types.
import type { AmoProblem, ValidationErrorItem } from '../amocrm/index.js';

/** How to name the items of the failed request: request_id → "pipeline "Asia Deals"", plus nested stages. */
export interface ExplainContext {
  step: string;
  labels: Record<string, string>;
  /** request_id of a pipeline → its stage labels (for `_embedded.statuses.N.*` paths). */
  stages?: Record<string, string[]>;
}

interface ErrorLike {
  status?: unknown;
  problem?: unknown;
  code?: unknown;
  message?: unknown;
}

const CODE_PHRASES: Record<string, string> = {
  NotSupportedChoice: 'is not a value amoCRM accepts',
  InvalidType: 'has the wrong type',
  NotBlank: 'must not be empty',
  Length: 'is too long',
  NotFound: 'refers to something that does not exist',
  FieldNotExpected: 'is not accepted here',
};

const PATH_PHRASES: Record<string, string> = {
  name: 'the name',
  color: 'the colour (it must be one of the amoCRM palette colours)',
  type: 'the field type',
  code: 'the code',
  sort: 'the position',
  settings: 'the event list',
  destination: 'the webhook URL',
};

function describePath(path: string, requestId: string, ctx: ExplainContext): string {
  const stage = /^_embedded\.statuses\.(\d+)\.(\w+)$/.exec(path);
  if (stage) {
    const label = ctx.stages?.[requestId]?.[Number(stage[1])] ?? `stage ${Number(stage[1]) + 1}`;
    return `${PATH_PHRASES[stage[2] ?? ''] ?? stage[2]} of ${label}`;
  }
  const option = /^enums\.(\d+)\.(\w+)$/.exec(path);
  if (option) return `option ${Number(option[1]) + 1}`;
  return PATH_PHRASES[path] ?? `"${path}"`;
}

function describeItem(item: ValidationErrorItem, requestId: string, ctx: ExplainContext): string {
  const phrase = CODE_PHRASES[item.code] ?? 'was rejected';
  return `${describePath(item.path, requestId, ctx)} ${phrase} (amoCRM: ${item.detail})`;
}

function asProblem(v: unknown): AmoProblem | undefined {
  return typeof v === 'object' && v !== null ? (v as AmoProblem) : undefined;
}

/** One readable paragraph for an error thrown while applying a provisioning step. */
export function explainAmoError(err: unknown, ctx: ExplainContext): string {
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
  const status = typeof e.status === 'number' ? e.status : undefined;
  const problem = asProblem(e.problem);
  const detail = problem?.detail ?? (typeof e.message === 'string' ? e.message : String(err));
  const prefix = `Could not ${ctx.step}`;

  const entries = problem?.['validation-errors'] ?? [];
  if (status === 400 && entries.length > 0) {
    const lines = entries.flatMap((entry) => {
      const id = String(entry.request_id);
      const label = ctx.labels[id] ?? `item ${id}`;
      return (entry.errors ?? []).map((item) => `  - ${label}: ${describeItem(item, id, ctx)}`);
    });
    return `${prefix}: amoCRM rejected the request, nothing in it was created.\n${lines.join('\n')}\nFix the config and run setup again.`;
  }
  if (e.code === 'RECONNECT_REQUIRED' || status === 401) {
    return `${prefix}: amoCRM no longer accepts Leadbridge's token. Reconnect the account (open the install link again), then run setup again.`;
  }
  if (status === 402) {
    return `${prefix}: the amoCRM account is not paid, and amoCRM blocks every change until the subscription is renewed.`;
  }
  if (status === 403) {
    return `${prefix}: amoCRM refused. Creating pipelines, fields and webhooks needs an administrator: connect Leadbridge as an admin user. (A 403 after many requests means amoCRM blocked the account for a while: wait, then retry.)`;
  }
  if (status === 422) {
    return `${prefix}: amoCRM refused because a limit was reached (at most 50 pipelines, 100 stages per pipeline, 100 webhooks). amoCRM says: ${detail}`;
  }
  if (status === 429 || e.code === 'RATE_LIMITED' || e.code === 'CIRCUIT_OPEN') {
    return `${prefix}: amoCRM's request limit was hit. Wait a minute and run setup again; it continues where it stopped.`;
  }
  if ((status !== undefined && status >= 500) || e.code === 'CONNECTION' || e.code === 'TIMEOUT') {
    return `${prefix}: amoCRM could not be reached or failed (${detail}). Run setup again; it continues where it stopped.`;
  }
  if (status === 400) return `${prefix}: amoCRM rejected the request: ${detail}`;
  return `${prefix}: ${detail}`;
}
