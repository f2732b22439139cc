// `leadbridge setup`: the config's `account:` section (+ Leadbridge's own system fields) → snapshot → plan → print →
// apply (unless dry-run) → store the ResolvedMap → subscribe the webhook URL. A second run changes nothing and says so.
import type { AmoClient } from '../amocrm/index.js';
import type { Config } from '../config/index.js';
import type { FieldSpec, ProvisionSpec } from '../provision/index.js';
import type { Db } from '../db/index.js';
import {
  applyProvision,
  loadSnapshot,
  planProvision,
  provisionApiFromClient,
  renderApplied,
  renderPlan,
  saveResolvedMap,
  WEBHOOK_SETTINGS,
  type Problem,
  type ProvisionPlan,
  type ResolvedMap,
} from '../provision/index.js';
import { getWebhookUrl } from './keys.js';
import { removeStaleWebhooks } from './webhook-subscriptions.js';

/** The delivery worker's exactly-once marker: our lead id on every deal (a text field, code LEADBRIDGE_ID). */
export const SYSTEM_LEAD_FIELDS: readonly FieldSpec[] = [
  { key: 'leadbridge_id', name: 'Leadbridge ID', code: 'LEADBRIDGE_ID', type: 'text', predefined: false },
];

const EMPTY_SPEC: ProvisionSpec = { pipelines: [], fields: { leads: [], contacts: [], companies: [] } };

/** The spec plus the system fields (unless the config already declares a field with the same code or key). */
export function withSystemFields(spec: ProvisionSpec | undefined): ProvisionSpec {
  const base = spec ?? EMPTY_SPEC;
  const leads = [...base.fields.leads];
  for (const f of SYSTEM_LEAD_FIELDS) {
    const taken = leads.some((x) => x.key === f.key || (x.code && f.code && x.code.toUpperCase() === f.code.toUpperCase()));
    if (!taken) leads.push({ ...f });
  }
  return { ...base, fields: { ...base.fields, leads } };
}

export interface SetupDeps {
  amo: AmoClient;
  db: Db;
  config: Config;
  /** Overrides `config.account` (the sandbox's demo preset). */
  spec?: ProvisionSpec;
  dryRun?: boolean;
  /** Where human output goes (CLI: stdout). */
  print?: (text: string) => void;
}

export interface SetupResult {
  plan: ProvisionPlan;
  /** Number of changes made (0 on a dry run or when nothing was missing). */
  changes: number;
  problems: Problem[];
  resolved: ResolvedMap;
  /** The full webhook URL (it contains the secret: print it to the operator, never log it). */
  webhookUrl: string;
  /** Our older webhook subscriptions (another PORT / public URL / secret) removed — or, on a dry run, to remove; masked. */
  staleWebhooksRemoved: string[];
  dryRun: boolean;
}

export async function runSetup(deps: SetupDeps): Promise<SetupResult> {
  const print = deps.print ?? (() => undefined);
  const spec = withSystemFields(deps.spec ?? deps.config.account);
  const api = provisionApiFromClient(deps.amo);
  const webhookUrl = await getWebhookUrl(deps.db.db, deps.config);
  const options = { webhookUrl, webhookSettings: WEBHOOK_SETTINGS };
  const plan = planProvision(spec, await loadSnapshot(api), options);
  const staleLine = (urls: string[], verb: string): string => `\n${verb} ${urls.length} old Leadbridge webhook subscription${urls.length === 1 ? '' : 's'} (an earlier URL): ${urls.join(', ')}`;
  if (deps.dryRun) {
    const stale = (await removeStaleWebhooks(deps.amo, webhookUrl, { dryRun: true })).removed;
    print(renderPlan(plan));
    if (stale.length > 0) print(staleLine(stale, 'Would remove'));
    print(`\nDry run: nothing was changed. Webhook URL: ${webhookUrl}`);
    return { plan, changes: 0, problems: plan.problems, resolved: plan.resolved, webhookUrl, staleWebhooksRemoved: stale, dryRun: true };
  }
  if (plan.actions.length > 0) print(renderPlan({ actions: plan.actions, problems: [] }));
  const result = await applyProvision(api, plan);
  await saveResolvedMap(deps.db.db, result.resolved);
  print(renderApplied(result));
  // Only once the current URL is subscribed: replace, never leave the account without our webhook.
  const subscribed = result.problems.length === 0 || (await deps.amo.webhooks.list()).some((w) => w.destination === webhookUrl);
  const stale = subscribed ? (await removeStaleWebhooks(deps.amo, webhookUrl)).removed : [];
  if (stale.length > 0) print(staleLine(stale, 'Removed'));
  print(`\nWebhook URL (subscribed in amoCRM for ${WEBHOOK_SETTINGS.length} events): ${webhookUrl}`);
  return {
    plan,
    changes: result.applied.length + stale.length,
    problems: result.problems,
    resolved: result.resolved,
    webhookUrl,
    staleWebhooksRemoved: stale,
    dryRun: false,
  };
}
