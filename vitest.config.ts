import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Without this, vitest can load graphql's `development` build beside the production one and fail with
  // "Cannot use GraphQLDirective from another module or realm".
  ssr: { resolve: { conditions: ['module', 'node'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
