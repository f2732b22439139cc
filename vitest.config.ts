import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Migrates one database per run (PGlite dump, or a PostgreSQL template when TEST_DATABASE_URL is set).
    globalSetup: ['./test/global-setup.ts'],
    // Generous: the suite shares two cores with other work; a timeout here means stuck, not slow.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Integration suites start real HTTP servers and databases; two cores here.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
