import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The tests Stryker runs against `rules/core` mutants: the rule and core tests and the CLI (which drives the
 * same engine). Handler and infra tests are left out: they exercise adapters and CDK, and would multiply the
 * run time of every mutant without judging the core any more closely.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/rules/**/*.test.ts', 'rules/**/*.test.ts', 'test/cli/**/*.test.ts'],
      // Checks the file mode of bin/, which Stryker's sandbox copy does not keep.
      exclude: ['test/cli/main.test.ts'],
    },
  }),
);
