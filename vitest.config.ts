import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Migrates one database per run (PGlite dump, or a PostgreSQL template when TEST_DATABASE_URL is set).
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration suites start real HTTP servers and databases; two cores here.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
