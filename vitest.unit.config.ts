import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the pure tests, which need neither PostgreSQL nor Redis (integration tests are
// named *.int.test.ts; test/faults restart services).
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '**/*.int.test.ts', 'test/faults/**'],
    maxWorkers: 2,
  },
});
