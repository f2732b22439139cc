// `leadbridge doctor`: named checks → a ✓/✗ table with the fix for each ✗. This module provides the runner
// and the provisioning checks (pipelines, stages, fields, webhook); the app adds connection, token,
// database, queue and circuit checks of the same shape.
import { SPEC_ENTITIES, type ProvisionSpec } from './spec.js';
import { planProvision } from './plan.js';
import { maskUrl } from './render.js';
import type { AccountSnapshot, Action, Problem } from './types.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';

export interface CheckResult {
  ok: boolean;
  detail: string;
  /** What to do about a ✗ (shown under it). */
  fix?: string;
}

export interface DoctorCheck {
  name: string;
  run: () => Promise<CheckResult> | CheckResult;
}

export interface DoctorReport {
  ok: boolean;
  results: (CheckResult & { name: string })[];
  /** The rendered table. */
  text: string;
}

const SETUP_FIX = 'run `leadbridge setup` (it creates what is missing and never deletes)';

/** Runs every check in order; a check that throws counts as ✗ with its message. Exit non-zero when !ok. */
export async function runDoctor(checks: DoctorCheck[]): Promise<DoctorReport> {
  const results: DoctorReport['results'] = [];
  for (const check of checks) {
    try {
      results.push({ name: check.name, ...(await check.run()) });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      results.push({ name: check.name, ok: false, detail: `check failed: ${message}`, fix: 'see the message; run doctor again once fixed' });
    }
  }
  return { ok: results.every((r) => r.ok), results, text: renderDoctor(results) };
}

export function renderDoctor(results: DoctorReport['results']): string {
  const width = Math.min(48, Math.max(0, ...results.map((r) => r.name.length)));
  const lines = results.flatMap((r) => {
    const row = `${r.ok ? '✓' : '✗'} ${r.name.padEnd(width)}  ${r.detail}`;
    return !r.ok && r.fix ? [row, `  ${' '.repeat(width)}  → fix: ${r.fix}`] : [row];
  });
  const failed = results.filter((r) => !r.ok).length;
  lines.push('', failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`);
  return lines.join('\n');
}

const done = (detail: string): CheckResult => ({ ok: true, detail });
const fail = (detail: string, fix: string): CheckResult => ({ ok: false, detail, fix });
const fromProblem = (p: Problem): CheckResult => fail(p.message, p.fix);

/** Checks for every pipeline, field and (with a URL) the webhook subscription, from one account snapshot. */
export function provisionChecks(spec: ProvisionSpec, snapshot: AccountSnapshot, webhookUrl?: string): DoctorCheck[] {
  const plan = planProvision(spec, snapshot, webhookUrl ? { webhookUrl } : {});
  const checks: DoctorCheck[] = [];
  const check = (name: string, result: CheckResult): void => {
    checks.push({ name, run: () => result });
  };

  for (const p of spec.pipelines) {
    const action = plan.actions.find(
      (a): a is Extract<Action, { kind: 'create_pipeline' | 'create_stages' }> =>
        (a.kind === 'create_pipeline' || a.kind === 'create_stages') && a.pipeline === p.key,
    );
    const resolved = plan.resolved.pipelines[p.key];
    let result: CheckResult;
    if (action?.kind === 'create_pipeline') result = fail(`pipeline "${p.name}" is missing`, SETUP_FIX);
    else if (action?.kind === 'create_stages') {
      result = fail(`stages missing: ${action.inputs.map((s) => s.name).join(', ')} (renamed in amoCRM?)`, `rename them back in amoCRM, or ${SETUP_FIX}`);
    } else result = done(`#${resolved?.id ?? '?'}, ${p.stages.length} stages present`);
    check(`pipeline ${p.key}`, result);
  }

  for (const entity of SPEC_ENTITIES) {
    for (const f of spec.fields[entity]) {
      const isMine = (t: Problem['target']): boolean => t.kind === 'field' && t.entity === entity && t.field === f.key;
      const problem = plan.problems.find((p) => isMine(p.target));
      const action = plan.actions.find((a) => (a.kind === 'create_field' || a.kind === 'add_enums') && a.entity === entity && a.field === f.key);
      const resolved = plan.resolved.fields[entity][f.key];
      let result: CheckResult;
      if (problem) result = fromProblem(problem);
      else if (action?.kind === 'create_field') result = fail(`field "${f.name ?? f.code ?? f.key}" is missing`, SETUP_FIX);
      else if (action?.kind === 'add_enums') result = fail(`options missing: ${action.values.join(', ')}`, SETUP_FIX);
      else {
        const options = f.enums ? `, ${f.enums.length} options` : '';
        result = done(`#${resolved?.id ?? '?'} ${resolved?.type ?? f.type}${options}`);
      }
      check(`field ${entity}.${f.key}`, result);
    }
  }

  if (webhookUrl) {
    const action = plan.actions.find((a): a is Extract<Action, { kind: 'subscribe_webhook' }> => a.kind === 'subscribe_webhook');
    const where = maskUrl(webhookUrl);
    let result: CheckResult;
    if (!action) result = done(`${where} enabled for ${WEBHOOK_SETTINGS.length} events`);
    else if (action.reason === 'missing') result = fail(`no subscription for ${where}`, SETUP_FIX);
    else if (action.reason === 'disabled') {
      result = fail(
        `subscription for ${where} is disabled (amoCRM switches a hook off after repeated failed deliveries)`,
        'make sure the URL is reachable from the internet, then run `leadbridge setup` to re-enable it',
      );
    } else {
      const sub = snapshot.webhooks.find((w) => w.destination === webhookUrl);
      const lacking = WEBHOOK_SETTINGS.filter((s) => !sub?.settings.includes(s));
      result = fail(`subscription lacks events: ${lacking.join(', ')}`, SETUP_FIX);
    }
    check('webhook subscription', result);
  }
  return checks;
}
