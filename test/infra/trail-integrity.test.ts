import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig, parseConfig } from '../../infra/config.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555';
const synth = (trailIntegrity?: unknown) => {
  const app = fastApp();
  const { main } = buildTrailwarden(
    app,
    loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', ...(trailIntegrity ? { trailIntegrity } : {}) }),
    RULES.map((r) => r.on),
    { nag: false },
  );
  return Template.fromStack(main);
};

const statements = (t: Template) =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties.PolicyDocument
        .Statement,
  );

describe('trail-integrity infra', () => {
  it('is not deployed without trail buckets', () => {
    const t = synth();
    expect(
      Object.keys(
        t.findResources('AWS::Lambda::Function', {
          Properties: { Environment: { Variables: { TRAIL_BUCKETS: Match.anyValue() } } },
        }),
      ),
    ).toEqual([]);
  });

  it('routes S3 Object Created of digest keys to an encrypted queue with a DLQ, and runs hourly', () => {
    const t = synth({ buckets: [{ bucket: 'org-cloudtrail-logs', prefix: 'ct' }], kmsKeyArn: KEY });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: ['org-cloudtrail-logs'] },
          object: { key: [{ wildcard: 'ct/AWSLogs/*/CloudTrail-Digest/*' }] },
        },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    t.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      VisibilityTimeout: 1800,
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('trail-integrity DLQ'),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TRAIL_BUCKETS: '[{"bucket":"org-cloudtrail-logs","prefix":"ct"}]',
          DIGEST_LAG_MINUTES: '30',
        }),
      },
    });
  });

  it('grants read-only access to the trail prefix, ListPublicKeys, and kms:Decrypt on the configured key only', () => {
    const t = synth({ buckets: [{ bucket: 'org-cloudtrail-logs', prefix: 'ct' }], kmsKeyArn: KEY });
    const all = statements(t);
    const trail = all.filter((s) => JSON.stringify(s.Resource ?? '').includes('org-cloudtrail-logs'));
    expect(trail.map((s) => s.Action).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(JSON.stringify(trail)).toContain('ct/AWSLogs/*');
    expect(trail.find((s) => s.Action === 's3:ListBucket')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['ct/AWSLogs/*'] },
    });
    expect(
      all.filter(
        (s) =>
          JSON.stringify(s.Action).includes('s3:Put') && JSON.stringify(s.Resource).includes('org-cloudtrail-logs'),
      ),
    ).toEqual([]);
    expect(all.some((s) => s.Action === 'cloudtrail:ListPublicKeys')).toBe(true);
    expect(all.filter((s) => s.Resource === KEY).map((s) => s.Action)).toEqual(['kms:Decrypt']);
    // The user's bucket is not in the stack: no bucket policy or notification configuration is touched.
    expect(JSON.stringify(t.findResources('AWS::S3::BucketPolicy'))).not.toContain('org-cloudtrail-logs');
    expect(JSON.stringify(t.toJSON())).not.toContain('Custom::S3BucketNotifications');
  });

  it('no kms:Decrypt on any trail key when none is configured', () => {
    const t = synth({ buckets: [{ bucket: 'org-cloudtrail-logs' }] });
    const decrypt = statements(t).filter((s) => s.Sid === 'DecryptTrail');
    expect(decrypt).toEqual([]);
  });

  it.each([
    [{ buckets: 'x' }, 'trailIntegrity.buckets'],
    [{ buckets: [{ bucket: 'Bad_Name' }] }, 'trailIntegrity.buckets[0].bucket'],
    [{ buckets: [{ bucket: 'good-bucket', prefix: '/ct/' }] }, 'trailIntegrity.buckets[0].prefix'],
    [{ buckets: [{ bucket: 'good-bucket', prefix: 'c*' }] }, 'trailIntegrity.buckets[0].prefix'],
    [{ buckets: [], kmsKeyArn: 'alias/x' }, 'trailIntegrity.kmsKeyArn'],
    [{ buckets: [], lagMinutes: -1 }, 'trailIntegrity.lagMinutes'],
    [{ buckets: [], extra: 1 }, 'trailIntegrity.extra'],
  ])('config %j is refused at %s', (trailIntegrity, path) => {
    const parsed = parseConfig({ trailIntegrity });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors.join('\n')).toContain(path);
  });

  it('takes -c trailIntegrity=JSON', () => {
    const parsed = parseConfig(undefined, {
      trailIntegrity: '{"buckets":[{"bucket":"org-cloudtrail-logs"}],"lagMinutes":45}',
    });
    expect(parsed.ok && parsed.config.trailIntegrity).toEqual({
      buckets: [{ bucket: 'org-cloudtrail-logs', prefix: '' }],
      organizationTrail: false,
      lagMinutes: 45,
    });
  });
});
