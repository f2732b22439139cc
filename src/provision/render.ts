// Human text for `leadbridge setup --dry-run` and its summary. Webhook URLs carry a secret: always masked.
import type { Action, ApplyResult, Problem, ProvisionPlan } from './types.js';

export const NOTHING_TO_CHANGE = 'Nothing to change: the account already matches the config.';

/** Hides the secret parts of a webhook URL: query values and long path segments. */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  const path = u.pathname
    .split('/')
    .map((seg) => (seg.length >= 16 ? `${seg.slice(0, 4)}…` : seg))
    .join('/');
  const query = [...u.searchParams.keys()].map((k) => `${k}=***`).join('&');
  return `${u.origin}${path}${query ? `?${query}` : ''}`;
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'create_pipeline': {
      const names = (a.input._embedded?.statuses ?? []).map((s) => s.name);
      return `create pipeline "${a.input.name}" with ${names.length} stages: ${names.join(', ')}`;
    }
    case 'create_stages':
      return `add stages to pipeline ${a.pipeline}: ${a.inputs.map((s) => s.name).join(', ')}`;
    case 'create_field': {
      const code = a.input.code ? `, code ${a.input.code}` : '';
      const options = a.input.enums ? ` with options: ${a.input.enums.map((e) => e.value).join(', ')}` : '';
      const note = a.note ? ` (${a.note})` : '';
      return `create ${a.entity} field "${a.input.name}" (${a.input.type}${code})${options}${note}`;
    }
    case 'add_enums':
      return `add options to ${a.entity} field ${a.field} (#${a.fieldId}): ${a.values.join(', ')}`;
    case 'subscribe_webhook': {
      const why = { missing: 'subscribe', disabled: 're-enable', settings: 'add events to' }[a.reason];
      return `${why} webhook ${maskUrl(a.destination)} for ${a.settings.join(', ')}`;
    }
  }
}

export function renderProblems(problems: Problem[]): string {
  if (problems.length === 0) return '';
  const lines = problems.flatMap((p) => [`  ✗ ${p.message}`, `    at ${p.path}`, `    fix: ${p.fix}`]);
  return `Problems setup cannot fix (it never deletes or changes existing fields):\n${lines.join('\n')}`;
}

export function renderPlan(plan: Pick<ProvisionPlan, 'actions' | 'problems'>): string {
  const parts: string[] = [];
  if (plan.actions.length === 0) {
    parts.push(plan.problems.length === 0 ? NOTHING_TO_CHANGE : 'Nothing to create.');
  } else {
    const n = plan.actions.length;
    parts.push(`Setup will make ${n} change${n === 1 ? '' : 's'} (nothing is ever deleted):`);
    parts.push(plan.actions.map((a) => `  + ${describeAction(a)}`).join('\n'));
  }
  const problems = renderProblems(plan.problems);
  if (problems) parts.push(problems);
  return parts.join('\n');
}

/** The summary after `leadbridge setup` ran. */
export function renderApplied(result: Pick<ApplyResult, 'applied' | 'problems'>): string {
  const n = result.applied.length;
  const head = n === 0 ? NOTHING_TO_CHANGE : `Done: ${n} change${n === 1 ? '' : 's'} made.\n${result.applied.map((a) => `  ✓ ${describeAction(a)}`).join('\n')}`;
  const problems = renderProblems(result.problems);
  return problems ? `${head}\n${problems}` : head;
}
