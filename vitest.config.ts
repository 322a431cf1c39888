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
    // What a page in Chromium or another instance shows may take more than vitest's default second on a
    // loaded two-core machine; a poll that succeeds returns as soon as it does.
    expect: { poll: { timeout: 5_000 } },
    pool: 'forks',
  },
});
