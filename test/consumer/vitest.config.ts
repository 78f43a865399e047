import { defineConfig } from 'vitest/config';

/** `pnpm test:consumer`: publishes every package to a local Verdaccio registry and installs them by name in a project outside the repository. */
export default defineConfig({
  test: {
    include: ['test/consumer/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
