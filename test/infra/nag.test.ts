import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig } from '../../infra/config.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

// The catalogue plus global-service selectors, so the forwarder stack is checked too.
const selectors: EventSelector[] = [
  ...RULES.map((r) => r.on),
  { source: 'iam', eventNames: ['CreateUser'] },
  { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } },
];
const outdirs: string[] = [];
afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const nagApp = () => {
  const outdir = mkdtempSync(join(tmpdir(), 'trailwarden-nag-'));
  outdirs.push(outdir);
  return fastApp({ outdir });
};

const configs = {
  'env-agnostic defaults': loadConfig(undefined),
  'eu-west-1 with alerts': loadConfig({
    homeRegion: 'eu-west-1',
    account: '111122223333',
    alerts: { emails: ['secops@example.com'], https: [{ url: 'https://example.com/hook' }] },
  }),
  'home region us-east-1': loadConfig({ homeRegion: 'us-east-1' }),
  'Security Hub and chat on': loadConfig({ homeRegion: 'eu-west-1', securityHub: true, chat: { enabled: true } }),
  'trail integrity (two buckets, SSE-KMS)': loadConfig({
    homeRegion: 'eu-west-1',
    account: '111122223333',
    trailIntegrity: {
      buckets: [{ bucket: 'org-cloudtrail-logs', prefix: 'ct' }, { bucket: 'legacy-trail' }],
      organizationTrail: true,
      kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
    },
  }),
};

/**
 * cdk-nag 3 is a synth-time validation plugin: `app.synth()` throws "Validation failed" and writes
 * `validation-report.json` while any AwsSolutions finding is unacknowledged.
 */
describe('cdk-nag AwsSolutions', () => {
  it.each(Object.entries(configs))('reports no unacknowledged finding (%s)', (_name, config) => {
    const app = nagApp();
    buildTrailwarden(app, config, selectors, { nag: false });
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('lets the app synthesize with the plugin registered', () => {
    const app = nagApp();
    buildTrailwarden(app, configs['eu-west-1 with alerts'], selectors);
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['Trailwarden', 'TrailwardenForwarder']);
    const report = join(assembly.directory, 'validation-report.json');
    if (existsSync(report)) {
      const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { conclusion: string }[] };
      expect(parsed.pluginReports.filter((r) => r.conclusion !== 'success')).toEqual([]);
    }
  });

  it('fails the synth on a finding nobody acknowledged (the check is live)', () => {
    const app = nagApp();
    const { main } = buildTrailwarden(app, configs['env-agnostic defaults'], selectors);
    new s3.Bucket(main, 'CarelessBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1[\s\S]*validation-report\.json/);
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: { ruleName: string }[] }[];
    };
    const rules = report.pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName));
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
