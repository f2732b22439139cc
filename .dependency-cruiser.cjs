/** Module boundaries from docs/architecture.md (style.md §5.2). */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'only-through-index',
      comment:
        'A module in one folder of src/ reaches another folder only through its index.ts (a subfolder may have its own, e.g. amocrm/webhooks/index.ts). Covers every folder; the emulator may also read the client wire types (see below).',
      severity: 'error',
      from: { path: '^src/([^/]+)/', pathNot: '^src/amocrm-emulator/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '/index\\.ts$'],
      },
    },
    {
      name: 'amocrm-is-standalone',
      comment: 'The amoCRM client imports nothing else from the app.',
      severity: 'error',
      from: { path: '^src/amocrm/' },
      to: { path: '^src/', pathNot: '^src/amocrm/' },
    },
    {
      name: 'emulator-only-uses-client-types',
      comment: 'The emulator imports nothing of the app but the amoCRM wire types, recorded fixtures and webhook codec.',
      severity: 'error',
      from: { path: '^src/amocrm-emulator/' },
      to: { path: '^src/', pathNot: ['^src/amocrm-emulator/', '^src/amocrm/(types|fixtures|webhooks)'] },
    },
    {
      name: 'domains-do-not-import-wiring',
      comment: 'Only main.ts and cli/ compose the system (through runtime/); a domain is handed what it needs.',
      severity: 'error',
      from: { path: '^src/(intake|delivery|webhooks|connect|provision|db|queue|analytics|dashboard)/' },
      to: { path: '^src/(http|cli|runtime|main\\.ts)' },
    },
    {
      name: 'only-entry-points-open-the-runtime',
      comment: 'runtime/ composes the system for main.ts and cli/; no other folder reaches it (they are handed what they need).',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: '^src/(cli|runtime)/' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'shared-pieces-stand-alone',
      comment:
        'The root logger, error base class and metrics registry (src/logger.ts, src/errors.ts, src/metrics.ts) load no Fastify and nothing else of src/ (but each other), so a worker or a CLI command logs, throws and counts without the HTTP stack.',
      severity: 'error',
      from: { path: '^src/(logger|errors|metrics)\\.ts$' },
      to: { path: ['^src/', 'node_modules/(fastify|@fastify/|fastify-)'], pathNot: '^src/(logger|errors|metrics)\\.ts$' },
    },
    {
      name: 'cli-commands-do-not-reach-http',
      comment:
        'A CLI command (leadbridge worker, setup, doctor, replay, …) never reaches src/http/, directly or through another module: only `start` runs the server (program.ts and index.ts reach it through the lazy import of start).',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: '^src/cli/(start|program|index)\\.ts$' },
      to: { path: '^src/http/', reachable: true },
    },
    {
      name: 'analytics-is-read-side',
      comment: 'analytics/ only reads (its SQL lives in analytics/sql.ts); it calls no other domain. It learns of changes through domain events (its rollup consumer). The shared root pieces (errors, logger, metrics) are not domains.',
      severity: 'error',
      from: { path: '^src/analytics/' },
      to: { path: '^src/', pathNot: ['^src/analytics/', '^src/db/', '^src/events/index\\.ts$', '^src/(errors|logger|metrics)\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
