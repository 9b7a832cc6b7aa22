import { existsSync, statSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { GEO_FILES } from '../../functions/shared/adapters/ip-database.ts';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig } from '../../infra/config.ts';
import { geoAssetFiles } from '../../infra/constructs/sign-in-intel.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const selectors = RULES.map((r) => r.on);
const synth = (detection?: unknown, more: Record<string, unknown> = {}) =>
  Template.fromStack(
    buildTrailwarden(
      fastApp(),
      loadConfig(detection === undefined && Object.keys(more).length === 0 ? undefined : { detection, ...more }),
      selectors,
      { nag: false },
    ).main,
  );

/** Statements naming the list's bucket, with the roles their policy is attached to. */
const listStatements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
      .filter((s) => JSON.stringify(s).includes('example-intel'))
      .map((s) => ({ ...s, roles: JSON.stringify(p.Properties.Roles) })),
  );

describe('sign-in intelligence infra', () => {
  it('ships the three npm database files (tens of MB, so never inside the JavaScript)', () => {
    const files = geoAssetFiles();
    expect(files.map((f) => f.split('/').at(-1))).toEqual(Object.values(GEO_FILES));
    for (const f of files) {
      expect(existsSync(f), f).toBe(true);
      expect(statSync(f).size, f).toBeGreaterThan(1_000_000);
    }
  });

  it('grants the evaluate role s3:GetObject on the configured list object alone', () => {
    const template = synth({ anonymisers: { source: 's3://example-intel/tor/exits.txt', name: 'tor-exits' } });
    const statements = listStatements(template);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Effect: 'Allow',
        roles: expect.stringMatching(/^\[\{"Ref":"PipelineEvaluateRole[0-9A-F]+"\}\]$/),
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::example-intel/tor/exits.txt']] },
      }),
    ]);
  });

  it('with replay built, grants the replay role the same read, and nothing more', () => {
    const template = synth(
      { anonymisers: { source: 's3://example-intel/tor/exits.txt', name: 'tor-exits' } },
      { replay: { trailBuckets: ['t-bucket'] } },
    );
    const statements = listStatements(template);
    expect(statements.map((s) => s.roles).sort()).toEqual([
      expect.stringMatching(/^\[\{"Ref":"PipelineEvaluateRole[0-9A-F]+"\}\]$/),
      expect.stringMatching(/^\[\{"Ref":"PipelineReplay[A-Za-z0-9]*Role[0-9A-F]+"\}\]$/),
    ]);
    for (const s of statements) expect(s.Action).toBe('s3:GetObject');
  });

  it('grants nothing when no list is configured', () => {
    const template = synth();
    expect(listStatements(template)).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('SignInIntel');
  });

  it('refuses a file: list for the deployed function, by path', () => {
    expect(() => loadConfig({ detection: { anonymisers: { source: 'file:tor.txt', name: 'tor' } } })).toThrow(
      'detection.anonymisers.source: the deployed function reads lists from S3 (s3://bucket/key), not file:tor.txt',
    );
  });
});
