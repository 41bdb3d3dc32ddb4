import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // test/faults restart shared services: they run alone, after this suite (vitest.faults.config.ts)
    exclude: ['node_modules/**', 'test/faults/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each create their own database; two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
