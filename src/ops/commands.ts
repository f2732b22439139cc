// The reports of the operator commands, shared by the CLI (database opened by the command) and the running server's
// admin API (the CLI asks it while the server holds the embedded database): the same lines either way.
import type { Config } from '../config/index.js';
import { demoSpec, getWebhookUrl, runSetup, type AmoConnection, type SetupResult } from '../connect/index.js';
import type { Db } from '../db/index.js';
import { ProvisionError, renderProblems } from '../provision/index.js';
import type { ReconcileResult } from '../webhooks/index.js';

/** What a command printed and its exit code (the JSON of the admin endpoints that run a command). */
export interface CommandReport {
  exitCode: number;
  stdout: string[];
  stderr: string[];
}

export interface SetupReportDeps {
  config: Config;
  db: Db;
  conn: AmoConnection;
  dryRun: boolean;
  /** Each line as it is produced (the CLI streams them). */
  print: (line: string) => void;
}

/** `leadbridge setup [--dry-run]`: plan, apply (unless dry), print the webhook URL. Returns the exit code. */
export async function setupReport(deps: SetupReportDeps): Promise<number> {
  const { config, db, conn, dryRun, print: out } = deps;
  const status = await conn.status();
  if (status.state !== 'connected') {
    out(`amoCRM is not connected (${status.state}${status.reason ? `: ${status.reason}` : ''}). Open ${config.publicUrl}/api/auth/amo first.`);
    return 2;
  }
  if (!config.account && !config.sandbox) out("The config has no `account:` section: only Leadbridge's own LEADBRIDGE_ID field and the webhook are set up.");
  out(`Account: ${status.host}${config.sandbox ? ' (sandbox emulator)' : ''}${dryRun ? ' — dry run' : ''}\n`);
  let result: SetupResult;
  try {
    result = await runSetup({
      amo: conn.amo,
      db,
      config,
      ...(config.sandbox && !config.account ? { spec: demoSpec() } : {}),
      dryRun,
      print: out,
    });
  } catch (e) {
    if (!(e instanceof ProvisionError)) throw e;
    out(e.message);
    if (e.applied.length > 0) out(`(${e.applied.length} change(s) were made before the failure; run setup again to continue.)`);
    return 1;
  }
  if (result.problems.length > 0) {
    if (!dryRun) out(renderProblems(result.problems));
    return 1;
  }
  out(`\nWebhook URL (amoCRM → Leadbridge${dryRun ? '; subscribed by setup without --dry-run' : ''}): ${await getWebhookUrl(db.db, config)}`);
  return 0;
}

/** Runs a printing command and collects what it printed. */
export async function collectReport(run: (print: (line: string) => void) => Promise<number>): Promise<CommandReport> {
  const stdout: string[] = [];
  const exitCode = await run((line) => stdout.push(line));
  return { exitCode, stdout, stderr: [] };
}

/** The one line `leadbridge reconcile` prints. */
export function reconcileLine(r: ReconcileResult): string {
  return (
    `reconciled events ${new Date(r.since * 1000).toISOString()} → ${new Date(r.cursor * 1000).toISOString()}: ` +
    `${r.events} events, ${r.leads} leads re-read, ${r.repaired} repaired` +
    (r.resubscribed.length ? `; re-subscribed disabled webhook ${r.resubscribed.join(', ')}` : '')
  );
}
