// Every top-level command's name and one-line description. program.ts lists them for `leadbridge --help` without
// loading any command (each one imports Fastify, the database drivers … — seconds of start-up), and each command's
// own file uses its line here, so the two never differ.
export const COMMANDS = {
  start: 'Run the service: HTTP API, delivery worker, webhook sync (the sandbox emulator when no amoCRM credentials are set)',
  emulator: 'Run a local amoCRM emulator (OAuth + API v4 + outgoing webhooks) for development and tests',
  reconcile: 'Repair local deal state from amoCRM events (what webhooks missed) and re-enable a disabled webhook',
  setup: 'Create the pipelines, stages and fields of the config in amoCRM (never deletes), subscribe the webhook, store the ids',
  doctor: 'Check config, amoCRM connection and tokens, fields, pipeline, webhook, database: ✓/✗ with fixes',
  replay: 'Requeue a failed/dead lead by id, every dead lead (--all-dead) or every failed lead (--failed)',
  worker: 'Run only the delivery worker (no HTTP): more throughput or isolation beside the server on PostgreSQL',
  'webhook-url': 'Print the full webhook URL amoCRM must call (it holds the secret; `setup` subscribes it)',
  users: 'Dashboard users: add, reset-password, list',
  followups: 'Follow-up sequences: enrolments, stop, preview, a steps-only worker',
  backup: 'Back up the embedded database (a consistent copy, also while the server runs); PostgreSQL: use pg_dump',
  restore: 'Restore a backup into LEADBRIDGE_DATA_DIR (server stopped); the archive is verified first',
  forget: "Erase a person's personal data (leads stay as anonymous counts); prints what was erased per table",
} as const;

export type CommandName = keyof typeof COMMANDS;
