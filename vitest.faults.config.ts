import { defineConfig } from 'vitest/config';

// Fault tests disturb the machine's shared services (they restart PostgreSQL), so they run alone,
// one file at a time, after the main suite.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.faults.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
