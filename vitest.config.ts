import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and e2e tests mount, build and install for real; they share the machine's two cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
