import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against `rules/core` mutants (`npm run mutate`): the core and rule tests, which are
 * pure and need no emulator. Handler, CLI and infra tests are left out: they exercise adapters, I/O and CDK,
 * and would multiply the run time of every mutant without judging the core any more closely.
 */
/**
 * MUTATE_TESTS (comma-separated globs) narrows the tests to a file's own suite: for a core file every rule test
 * imports (engine, network, config …) each mutant would otherwise re-run the whole rule suite. A narrowed run can
 * only kill fewer mutants, so its score is a lower bound; `npm run mutate` prints the set it used.
 */
const narrowed = (process.env.MUTATE_TESTS ?? '')
  .split(',')
  .map((g) => g.trim())
  .filter((g) => g.length > 0);

export default defineConfig({
  test: {
    include: narrowed.length > 0 ? narrowed : ['test/rules/**/*.test.ts', 'rules/**/*.test.ts'],
    testTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
