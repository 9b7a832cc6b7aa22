import type { CfnElement } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig, parseConfig } from '../../infra/config.ts';
import { finalLogicalId } from '../../infra/constructs/logical-ids.ts';
import { DEFAULT_SLA } from '../../rules/core/sla.ts';
import { RULES } from '../../rules/index.ts';

const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
const config = loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', sla: { critical: { ackMinutes: 10 } } });
const stacks = buildTrailwarden(
  app,
  config,
  RULES.map((r) => r.on),
  { nag: false },
);
const template = Template.fromStack(stacks.main);
const webhook = stacks.main.pipeline.triageWebhook;
const idOf = (c: IConstruct): string => finalLogicalId(c.node.defaultChild as CfnElement);
const fnId = idOf(webhook.fn);
const bucketId = idOf(stacks.main.pipeline.evidenceBucket);
const keyId = idOf(stacks.main.pipeline.storageKey);
const secretId = idOf(webhook.secret);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statements = (): Statement[] => {
  const roleId = idOf(webhook.role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};

describe('triage webhook (PagerDuty v3)', () => {
  it('is a function URL with auth type NONE (PagerDuty cannot sign AWS requests; the function verifies HMAC)', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    expect(Object.keys(template.findOutputs('TriageWebhookUrl'))).toEqual(['TriageWebhookUrl']);
    expect(Object.keys(template.findOutputs('PagerDutySecretArn'))).toEqual(['PagerDutySecretArn']);
  });

  it('reads its secret, the bucket, the age limit and the configured SLA from its environment', () => {
    const fn = template.findResources('AWS::Lambda::Function')[fnId];
    const vars = fn?.Properties.Environment.Variables as Record<string, unknown>;
    expect(vars.EVIDENCE_BUCKET).toEqual({ Ref: bucketId });
    expect(vars.PAGERDUTY_SECRET_ID).toEqual({ Ref: secretId });
    expect(vars.MAX_EVENT_AGE_SECONDS).toBe('600');
    expect(JSON.parse(String(vars.SLA))).toEqual({ ...DEFAULT_SLA, critical: { ackMinutes: 10, resolveMinutes: 240 } });
    expect(fn?.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 10 });
  });

  it('may read its one secret and add objects under triage/ only: least privilege', () => {
    const granted = statements().filter((s) => !JSON.stringify(s.Action).includes('logs:'));
    expect(granted).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } },
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/triage/*']] },
      },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    ]);
  });

  it('pages the alarm topic on errors and puts MTTA, MTTR, FP rate and past-SLA on the dashboard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      AlarmActions: [{ Ref: idOf(stacks.main.pipeline.alarmTopic) }],
    });
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const metric of [
      'TimeToAcknowledge',
      'TimeToResolve',
      'FalsePositives',
      'Resolved',
      'AckPastSla',
      'ResolvePastSla',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('trailwarden-triage');
  });
});

describe('sla config', () => {
  it('defaults, and names a bad value by path', () => {
    expect(loadConfig(undefined).sla).toEqual(DEFAULT_SLA);
    const parsed = parseConfig({ sla: { critical: { ackMinutes: 0 }, urgent: {} } });
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      'sla.critical.ackMinutes: must be a whole number of minutes from 1 to 525600 (got 0)',
      'sla.urgent: unknown severity (known: critical, high, medium, low, info)',
    ]);
    expect(loadConfig(undefined, { sla: '{"high":{"resolveMinutes":600}}' }).sla.high).toEqual({
      ackMinutes: 60,
      resolveMinutes: 600,
    });
  });
});
