// Provisioning: compares the config's `account:` section (pipelines, stages, custom fields) and the webhook
// subscription with the amoCRM account, creates what is missing (never deletes), resolves every id, and
// provides the doctor checks. Persisting the ResolvedMap and the CLI commands live elsewhere (cli/, db/).
export { planProvision } from './plan.js';
// The `account:` section's schema (the config file embeds it); zod only, no I/O.
export { ProvisionSpecSchema } from './spec.js';
export type { FieldSpec, ProvisionSpec } from './spec.js';
export { applyProvision, loadSnapshot, ProvisionError } from './apply.js';
export { provisionApiFromClient } from './client-adapter.js';
export { renderPlan, renderApplied, renderProblems, maskUrl, NOTHING_TO_CHANGE } from './render.js';
export { runDoctor, provisionChecks } from './doctor.js';
export type { CheckResult, DoctorCheck, DoctorReport } from './doctor.js';
export { WEBHOOK_SETTINGS } from './webhook-settings.js';
export type { AccountSnapshot, Action, ApplyOptions, ApplyResult, Problem, ProvisionPlan, ResolvedMap, Target } from './types.js';
export { saveResolvedMap, loadResolvedMap } from './store.js';
