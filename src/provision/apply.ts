// Executes a provisioning plan against amoCRM, in dependency order, then re-reads the account so the
// returned ResolvedMap holds the real ids of everything (created or found).
import type { CustomFieldInput } from '../amocrm/index.js';
import { SPEC_ENTITIES, type SpecEntity } from './spec.js';
import { explainAmoError, type ExplainContext } from './explain.js';
import { planProvision } from './plan.js';
import type { ProvisionApi } from './port.js';
import { describeAction } from './render.js';
import type { AccountSnapshot, Action, ApplyOptions, ApplyResult, Problem, ProvisionPlan } from './types.js';
import { AppError } from '../errors.js';

/** amoCRM recommends ≤ 50 items per batch write (fact sheet §9). */
const BATCH = 50;

export class ProvisionError extends AppError<'APPLY_FAILED'> {
  constructor(
    code: 'APPLY_FAILED',
    message: string,
    /** Actions that completed before the failure (they stay done: a rerun skips them). */
    readonly applied: Action[],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export async function loadSnapshot(api: ProvisionApi, opts: { webhooks?: boolean } = {}): Promise<AccountSnapshot> {
  const pipelines = await api.listPipelines();
  const fields = { leads: [], contacts: [], companies: [] } as AccountSnapshot['fields'];
  for (const entity of SPEC_ENTITIES) fields[entity] = await api.listCustomFields(entity);
  const webhooks = opts.webhooks === false ? [] : await api.listWebhooks();
  return { pipelines, fields, webhooks };
}

export async function applyProvision(api: ProvisionApi, plan: ProvisionPlan, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const applied: Action[] = [];
  const run = async (actions: Action[], step: string, ctx: Omit<ExplainContext, 'step'>, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (cause) {
      throw new ProvisionError('APPLY_FAILED', explainAmoError(cause, { step, ...ctx }), [...applied], { cause });
    }
    for (const a of actions) {
      applied.push(a);
      opts.onApplied?.(a);
    }
  };

  const pipelines = plan.actions.filter((a) => a.kind === 'create_pipeline');
  if (pipelines.length > 0) {
    // One call creates every new pipeline with its stages.
    const labels: Record<string, string> = {};
    const stages: Record<string, string[]> = {};
    for (const a of pipelines) {
      labels[a.pipeline] = `pipeline "${a.input.name}"`;
      stages[a.pipeline] = (a.input._embedded?.statuses ?? []).map((s) => `stage "${s.name}"`);
    }
    await run(pipelines, 'create the pipelines', { labels, stages }, () => api.createPipelines(pipelines.map((a) => a.input)));
  }

  for (const a of plan.actions) {
    if (a.kind !== 'create_stages') continue;
    const labels = Object.fromEntries(a.inputs.map((s) => [s.request_id ?? '', `stage "${s.name}"`]));
    await run([a], `add stages to pipeline ${a.pipeline}`, { labels }, () => api.createStatuses(a.pipelineId, a.inputs));
  }

  for (const entity of SPEC_ENTITIES) {
    const creates = plan.actions.filter((a): a is Extract<Action, { kind: 'create_field' }> => a.kind === 'create_field' && a.entity === entity);
    for (const batch of chunk(creates, BATCH)) {
      const labels = Object.fromEntries(batch.map((a) => [a.field, `${entity} field "${a.input.name}"`]));
      const items: CustomFieldInput[] = batch.map((a) => a.input);
      await run(batch, `create ${entity} fields`, { labels }, () => api.createCustomFields(entity, items));
    }
    const enumAdds = plan.actions.filter((a): a is Extract<Action, { kind: 'add_enums' }> => a.kind === 'add_enums' && a.entity === entity);
    for (const a of enumAdds) {
      const labels = { '0': `${entity} field ${a.field}` };
      await run([a], `add options to ${entity} field ${a.field}`, { labels }, () => api.updateCustomField(entity, a.patch));
    }
  }

  for (const a of plan.actions) {
    if (a.kind !== 'subscribe_webhook') continue;
    await run([a], 'subscribe the webhook', { labels: {} }, () =>
      api.subscribeWebhook({ destination: a.destination, settings: a.settings }),
    );
  }

  // Re-read and re-plan: the ids come from the account itself, and anything that did not stick shows up.
  const after = planProvision(plan.spec, await loadSnapshot(api, { webhooks: Boolean(plan.options.webhookUrl) }), plan.options);
  const leftovers: Problem[] = after.actions.map((a) => ({
    target: targetOf(a),
    path: 'account',
    message: `setup did "${describeAction(a)}" but amoCRM does not show it afterwards`,
    fix: 'run setup again; if it repeats, check the item in amoCRM by hand',
  }));
  return { resolved: after.resolved, applied, problems: [...after.problems, ...leftovers] };
}

function targetOf(a: Action): Problem['target'] {
  switch (a.kind) {
    case 'create_pipeline':
    case 'create_stages':
      return { kind: 'pipeline', pipeline: a.pipeline };
    case 'create_field':
    case 'add_enums':
      return { kind: 'field', entity: a.entity as SpecEntity, field: a.field };
    case 'subscribe_webhook':
      return { kind: 'webhook' };
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
