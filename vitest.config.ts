import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each create their own database; two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
