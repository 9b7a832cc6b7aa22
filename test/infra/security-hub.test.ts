import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import type { TrailwardenConfig } from '../../infra/config.ts';
import { loadConfig } from '../../infra/config.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const selectors = RULES.map((r) => r.on);
const synth = (config: TrailwardenConfig) =>
  Template.fromStack(buildTrailwarden(fastApp(), config, selectors, { nag: false }).main);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const statements = (t: Template): Statement[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
const grants = (t: Template, action: string) =>
  statements(t).filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith(action)));
const evaluateEnv = (t: Template): Record<string, unknown> => {
  const fns = Object.values(t.findResources('AWS::Lambda::Function')).filter((f) =>
    JSON.stringify(f.Properties.Environment ?? {}).includes('EVIDENCE_BUCKET'),
  );
  const evaluate = fns.find((f) => JSON.stringify(f.Properties.Environment).includes('DETECTION_CONFIG'));
  if (evaluate === undefined) throw new Error('no evaluate function');
  return (evaluate.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
};

describe('Security Hub sink (securityHub: true)', () => {
  it('grants BatchImportFindings on the account default product only, and sets the product ARN', () => {
    const t = synth(loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', securityHub: true }));
    const product = 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default';
    expect(grants(t, 'securityhub:')).toEqual([
      {
        Sid: 'ImportIntoTheDefaultProductOnly',
        Effect: 'Allow',
        Action: 'securityhub:BatchImportFindings',
        Resource: product,
      },
    ]);
    expect(evaluateEnv(t).SECURITY_HUB_PRODUCT_ARN).toBe(product);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SecurityHubRejected',
      Namespace: 'Trailwarden',
      Threshold: 0,
      AlarmActions: Match.anyValue(),
    });
  });

  it('uses the partition, region and account of the deployment when the stack is environment-agnostic', () => {
    const t = synth(loadConfig({ securityHub: true }));
    const [grant] = grants(t, 'securityhub:');
    const arn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':securityhub:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':product/',
          { Ref: 'AWS::AccountId' },
          '/default',
        ],
      ],
    };
    expect(grant?.Resource).toEqual(arn);
    expect(evaluateEnv(t).SECURITY_HUB_PRODUCT_ARN).toEqual(arn);
  });

  it('is absent by default: no grant, no product ARN, no alarm', () => {
    const t = synth(loadConfig({ homeRegion: 'eu-west-1', account: '111122223333' }));
    expect(grants(t, 'securityhub:')).toEqual([]);
    expect(evaluateEnv(t)).not.toHaveProperty('SECURITY_HUB_PRODUCT_ARN');
    expect(
      Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(
        (a) => a.Properties.MetricName === 'SecurityHubRejected',
      ),
    ).toEqual([]);
  });
});
