import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against `rules/core` mutants (`npm run mutate`): the core and rule tests, which are
 * pure and need no emulator. Handler, CLI and infra tests are left out: they exercise adapters, I/O and CDK,
 * and would multiply the run time of every mutant without judging the core any more closely.
 */
export default defineConfig({
  test: {
    include: ['test/rules/**/*.test.ts', 'rules/**/*.test.ts'],
    testTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
