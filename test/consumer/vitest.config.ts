import { defineConfig } from 'vitest/config';

/** `pnpm test:consumer`: packs every package and uses the tarballs from a project outside the repository. */
export default defineConfig({
  test: {
    include: ['test/consumer/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
