import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each test file in its own process: process-exit cleanup and pids behave as in real use.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // In CI also write a JSON report, from which .ci/run prints a plain "N passed, N failed".
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results.json' },
  },
});
