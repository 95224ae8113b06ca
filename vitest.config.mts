import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    include: ['src/**/*.spec.ts', 'libs/**/*.spec.ts', 'test/**/*.e2e-spec.ts', 'test/**/*.service-spec.ts'],
    globalSetup: ['test/global-setup.ts'],
    // One PostgreSQL for the run; files take turns (each boots its own app).
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
