import { defineConfig } from 'vitest/config';

// Integration tests start real processes; they run one file at a time on 2 cores so that the
// cluster under test is not starved by another file's cluster.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
