import type { CfnElement } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig, parseConfig } from '../../infra/config.ts';
import { finalLogicalId } from '../../infra/constructs/logical-ids.ts';
import { RULES } from '../../rules/index.ts';

const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
const config = loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', drills: { schedule: 'rate(7 days)' } });
const stacks = buildTrailwarden(
  app,
  config,
  RULES.map((r) => r.on),
  { nag: false },
);
const template = Template.fromStack(stacks.main);
const pipeline = stacks.main.pipeline;
const drills = pipeline.drills;
const idOf = (c: IConstruct): string => finalLogicalId(c.node.defaultChild as CfnElement);
const fnId = idOf(drills.drillFunction);
const drillQueueId = idOf(drills.drillQueue);
const eventQueueId = idOf(pipeline.queue);
const bucketId = idOf(pipeline.evidenceBucket);
const secretId = idOf(pipeline.drillKey.secret);
const topicId = idOf(pipeline.topic);
const messagingKeyId = idOf(pipeline.messagingKey);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (role: IConstruct | undefined): Statement[] => {
  if (role === undefined) throw new Error('no role');
  const roleId = idOf(role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('scheduled drills (infra)', () => {
  it('runs the drill function on the configured schedule, monthly by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      Targets: [{ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    expect(loadConfig(undefined).drills.schedule).toBe('cron(0 6 1 * ? *)');
    const fn = template.findResources('AWS::Lambda::Function')[fnId];
    // Polls for at most maxWaitMinutes (10): the timeout leaves two minutes to write the record.
    expect(fn?.Properties).toMatchObject({ Timeout: 720, Runtime: 'nodejs24.x' });
    const vars = fn?.Properties.Environment.Variables as Record<string, unknown>;
    expect(vars.EVENT_QUEUE_URL).toEqual({ Ref: eventQueueId });
    expect(vars.DRILL_QUEUE_URL).toEqual({ Ref: drillQueueId });
    expect(vars.DRILL_KEY_SECRET_ARN).toEqual({ Ref: secretId });
    expect(JSON.parse(String(vars.DRILLS_CONFIG)).schedule).toBe('rate(7 days)');
  });

  it('names the drill function in an output, for `trailwarden drill --run`', () => {
    expect(template.findOutputs('DrillFunctionName').DrillFunctionName?.Value).toEqual({ Ref: fnId });
  });

  it('reads pages from a drill-only subscription: an encrypted, TLS-only queue with a DLQ, filtered on drill', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [drillQueueId, 'Arn'] },
      RawMessageDelivery: false,
      FilterPolicy: { drill: ['true'] },
    });
    const queue = template.findResources('AWS::SQS::Queue')[drillQueueId];
    expect(queue?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [messagingKeyId, 'Arn'] });
    expect(queue?.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p.Properties.Queues).includes(drillQueueId),
    );
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it('least privilege: send to the event queue, read the drill key, read its queue, HEAD findings/, create drills/', () => {
    const granted = statementsOf(drills.drillFunction.role).filter((s) => !JSON.stringify(s.Action).includes('logs:'));
    const byAction = (a: string) => granted.filter((s) => actions(s).includes(a));
    expect(byAction('sqs:SendMessage')).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [eventQueueId, 'Arn'] } },
    ]);
    expect(byAction('sqs:ReceiveMessage')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        Resource: { 'Fn::GetAtt': [drillQueueId, 'Arn'] },
      },
    ]);
    expect(byAction('secretsmanager:GetSecretValue')).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } },
    ]);
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}*`]] });
    expect(byAction('s3:GetObject')).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: objects('findings/') },
    ]);
    expect(byAction('s3:PutObject')).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: objects('drills/'),
        Condition: { Null: { 's3:if-none-match': 'false' } },
      },
    ]);
    // Nothing else: no publish, no state table, no other prefix, no delete.
    const all = granted.flatMap(actions);
    for (const a of all) {
      expect(
        [
          'sqs:SendMessage',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'secretsmanager:GetSecretValue',
          's3:GetObject',
          's3:PutObject',
          'kms:GenerateDataKey',
          'kms:Decrypt',
          'lambda:InvokeFunction',
        ].includes(a),
      ).toBe(true);
    }
  });

  it('drills the elevated-access check: InvokeFunction on that one function (unqualified ARN), its name in the env', () => {
    const elevated = pipeline.elevatedAccess;
    if (elevated === undefined) throw new Error('the elevated-access check is on by default');
    const elevatedId = idOf(elevated.fn);
    const invoke = statementsOf(drills.drillFunction.role).filter((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [elevatedId, 'Arn'] } },
    ]);
    const vars = template.findResources('AWS::Lambda::Function')[fnId]?.Properties.Environment.Variables;
    expect(vars.ELEVATED_FUNCTION_NAME).toEqual({ Ref: elevatedId });
    // No other role of the stack may invoke it but through its schedule (no resource policy opens it).
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties.FunctionName).includes(elevatedId),
    );
    expect(permissions.map((p) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);

    // With the check disabled there is nothing to drill and nothing granted.
    const off = buildTrailwarden(
      new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }),
      loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', elevatedAccess: { enabled: false } }),
      RULES.map((r) => r.on),
      { nag: false },
    );
    const offTemplate = Template.fromStack(off.main);
    expect(JSON.stringify(offTemplate.findResources('AWS::IAM::Policy'))).not.toContain('lambda:InvokeFunction');
    const offFn = offTemplate.findResources('AWS::Lambda::Function')[idOf(off.main.pipeline.drills.drillFunction)];
    expect(offFn?.Properties.Environment.Variables.ELEVATED_FUNCTION_NAME).toBeUndefined();
  });

  it('the drill key secret lets the drill function read it (its deny names the role as a reader)', () => {
    const policy = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy'))[0];
    const deny = ((policy?.Properties.ResourcePolicy.Statement ?? []) as { Sid?: string; Condition?: unknown }[]).find(
      (s) => s.Sid === 'NobodyElseReads',
    );
    expect(JSON.stringify(deny?.Condition)).toContain(idOf(drills.drillFunction.role as IConstruct));
  });

  it('the health function lists and reads drills/ for the overdue and failed checks', () => {
    const fn = template.findResources('AWS::Lambda::Function')[idOf(pipeline.healthFunction)];
    expect(fn?.Properties.Environment.Variables.DRILL_OVERDUE_DAYS).toBe('35');
    const granted = statementsOf(pipeline.healthFunction.role);
    expect(granted).toContainEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
      Condition: { StringLike: { 's3:prefix': ['drills/*'] } },
    });
  });

  it('config: drills are validated by path, and a drill SLA may not exceed the response SLA', () => {
    const bad = parseConfig({ drills: { schedule: 'monthly' } });
    expect(bad.ok ? [] : bad.errors).toEqual([
      'drills.schedule: must be cron(…) or rate(N minutes|hours|days) (got "monthly")',
    ]);
    const slow = parseConfig({ drills: { latencySeconds: { critical: 1200 } }, sla: { critical: { ackMinutes: 15 } } });
    expect(slow.ok ? [] : slow.errors).toEqual([
      'drills.latencySeconds.critical: 1200 s is longer than sla.critical.ackMinutes (15 min)',
    ]);
  });
});
