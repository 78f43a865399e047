import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Publishes every package to a local registry and installs them by name: its own step, `pnpm test:consumer`.
    exclude: [...configDefaults.exclude, 'test/consumer/**'],
    // One build of the static demo site per run, shared by the files that serve it (test/static-site-fixture.ts).
    globalSetup: ['test/static-site-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
