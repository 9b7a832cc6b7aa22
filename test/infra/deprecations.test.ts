import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig } from '../../infra/config.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

/**
 * CDK prints each deprecation once per process, so this file holds one synth of its own: with
 * JSII_DEPRECATED=fail the first deprecated API the app or cdk-nag touches throws instead of warning.
 */
let before: string | undefined;
let outdir = '';
beforeEach(() => {
  before = process.env.JSII_DEPRECATED;
  process.env.JSII_DEPRECATED = 'fail';
  outdir = mkdtempSync(join(tmpdir(), 'trailwarden-deprecations-'));
});
afterEach(() => {
  if (before === undefined) delete process.env.JSII_DEPRECATED;
  else process.env.JSII_DEPRECATED = before;
  rmSync(outdir, { recursive: true, force: true });
});

it('synthesizes both stacks, cdk-nag included, without touching a deprecated CDK API', () => {
  // A global-service selector, so the forwarder and the default bus's policy are built too.
  const selectors: EventSelector[] = [...RULES.map((r) => r.on), { source: 'iam', eventNames: ['CreateUser'] }];
  const app = fastApp({ outdir });
  const config = loadConfig({ homeRegion: 'eu-west-1', account: '111122223333' });
  const { main, forwarder } = buildTrailwarden(app, config, selectors);
  expect(main.node.tryFindChild('AcceptForwardedEvents')).toBeDefined();
  expect(forwarder).toBeDefined();
  expect(() => app.synth()).not.toThrow();
});
