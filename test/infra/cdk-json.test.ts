import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { CDK_JSON_CONTEXT } from '../support/cdk-app.ts';

const require = createRequire(import.meta.url);

/** What `cdk init` writes for the installed aws-cdk-lib: every recommended flag, at its recommended value. */
it('carries every recommended feature flag of the pinned aws-cdk-lib, as cdk init writes them', () => {
  const recommended = JSON.parse(
    readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
  ) as Record<string, unknown>;
  expect(Object.keys(recommended).length).toBeGreaterThan(80);
  const { 'cli-telemetry': telemetry, ...flags } = CDK_JSON_CONTEXT;
  expect(flags).toEqual(recommended);
  expect(telemetry).toBe(false);
});
