import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig } from '../../infra/config.ts';
import { cdkLogicalId, finalLogicalId, keepLogicalIds, PipelinePart } from '../../infra/constructs/logical-ids.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

/**
 * The ids of a deployed stack's stateful resources, and of the resources attached to them, before the pipeline
 * was split into parts. A changed id makes CloudFormation replace the resource: a new Object-Lock bucket,
 * table, key or queue (the old one's data left behind), a bucket, queue or topic left without its policy, an
 * email subscription to confirm again, an event source mapping that fails to create beside the old one.
 */
const DEPLOYED = {
  // The digest signing key is new (#16 item 4), not moved: its id is pinned from its first deploy on.
  'AWS::KMS::Key': ['PipelineDigestSigningKey82315358', 'PipelineMessagingKeyF361549A', 'PipelineStorageKey36101C40'],
  'AWS::DynamoDB::Table': ['PipelineStateTableE241A088'],
  'AWS::S3::Bucket': ['PipelineAccessLogsBucket31EC11F4', 'PipelineEvidenceBucket74527613'],
  'AWS::S3::BucketPolicy': ['PipelineAccessLogsBucketPolicy3AEEDE7E', 'PipelineEvidenceBucketPolicyBA058AD7'],
  'AWS::SQS::Queue': ['PipelineDeadLetterQueueF08023D6', 'PipelineEventQueueC70D255E'],
  'AWS::SQS::QueuePolicy': ['PipelineDeadLetterQueuePolicy1883D615', 'PipelineEventQueuePolicy543F41E2'],
  'AWS::SNS::Topic': ['PipelineAlarmTopicD2AEE5E8', 'PipelineFindingsTopic01788E6F'],
  'AWS::SNS::TopicPolicy': ['PipelineAlarmTopicPolicy48C9B946', 'PipelineFindingsTopicPolicy9F54383D'],
  'AWS::SNS::Subscription': [
    'PipelineAlarmTopicsecopsexamplecomFBE7552E',
    'PipelineFindingsTopicsecopsexamplecom36B9D758',
  ],
  // The triage webhook (issue 10) came after the split: its ids are pinned from its first deploy on.
  'AWS::Logs::LogGroup': [
    'PipelineDigestLogs66A7F4C2',
    'PipelineEvaluateLogsFDEEE967',
    'PipelineHealthLogs1CEFBF46',
    'PipelineTriageWebhookLogs5C1EDAD4',
  ],
  'AWS::Lambda::EventSourceMapping': [
    'PipelineEvaluateFunctionSqsEventSourceTrailwardenPipelineEventQueue5633ED1D3694DA42',
  ],
  'AWS::Lambda::Function': [
    'PipelineDigestFunction6298E5AC',
    'PipelineEvaluateFunction0886DCF1',
    'PipelineHealthFunctionB9065716',
    'PipelineTriageWebhookFunction66FB9102',
  ],
} as const;

/** Resources added since (issue 17's drill function and drill-only subscription): new ids, nothing replaced. */
const ADDED: Partial<Record<keyof typeof DEPLOYED, readonly string[]>> = {
  'AWS::SQS::Queue': ['PipelineDrillDeadLetterQueue738544F4', 'PipelineDrillQueue8937B663'],
  'AWS::SQS::QueuePolicy': ['PipelineDrillDeadLetterQueuePolicyA7DCBA3B', 'PipelineDrillQueuePolicy6B850768'],
  'AWS::SNS::Subscription': ['PipelineDrillSubscriptionCB6F1CF2'],
  'AWS::Logs::LogGroup': ['PipelineDrillLogsDE9857FF', 'PipelineElevatedAccessLogs7DAC22A7'],
  'AWS::Lambda::Function': ['PipelineDrillFunction3A6B5C4C', 'PipelineElevatedAccessFunctionEB810A98'],
};

describe('logical ids of a deployed stack', () => {
  const config = loadConfig({
    homeRegion: 'eu-west-1',
    account: '111122223333',
    alerts: { emails: ['secops@example.com'], https: [] },
  });
  const { main } = buildTrailwarden(
    fastApp(),
    config,
    RULES.map((r) => r.on),
    { nag: false },
  );
  const template = Template.fromStack(main);

  it.each(Object.entries(DEPLOYED))('keeps every %s where it was', (type, ids) => {
    const added = ADDED[type as keyof typeof DEPLOYED] ?? [];
    expect(Object.keys(template.findResources(type)).sort()).toEqual([...ids, ...added].sort());
  });

  it('keeps the Lambda permissions of the schedules, whose construct ids CDK derives from other ids', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::Permission')).sort()).toEqual([
      'PipelineDigestScheduleAllowEventRuleTrailwardenPipelineDigestFunctionE17A4E81AC696B11',
      'PipelineDrillScheduleAllowEventRuleTrailwardenPipelineDrillFunction7086FBEED18EBC03',
      'PipelineElevatedAccessScheduleAllowEventRuleTrailwardenPipelineElevatedAccessFunction1BF4FC9373C3A539',
      'PipelineHealthScheduleAllowEventRuleTrailwardenPipelineHealthFunction3899A87CF94ACAB2',
      // The triage webhook's function URL (public invoke, authenticated by the function's HMAC check).
      'PipelineTriageWebhookFunctioninvokefunctionAF21CA58',
      'PipelineTriageWebhookFunctioninvokefunctionurl13385788',
    ]);
  });
});

describe('cdkLogicalId', () => {
  it("is CDK's own algorithm: the same ids as Stack.getLogicalId for paths without parts", () => {
    const stack = new Stack(fastApp(), 'S');
    const outer = new Construct(stack, 'Outer');
    const paths: [Construct, string, string[]][] = [
      [stack, 'Top', ['Top']],
      [outer, 'Resource', ['Outer', 'Resource']],
      [new Construct(outer, 'Default'), 'Inner-Name', ['Outer', 'Default', 'Inner-Name']],
      [new Construct(outer, 'OuterQueue'), 'Queue', ['Outer', 'OuterQueue', 'Queue']],
      [new Construct(outer, 'Ab'), 'SqsEventSource:S-Queue', ['Outer', 'Ab', 'SqsEventSource:S-Queue']],
    ];
    for (const [scope, id, components] of paths) {
      const element = new CfnResource(scope, id, { type: 'AWS::SQS::Queue' });
      expect(cdkLogicalId(components), element.node.path).toBe(stack.getLogicalId(element));
    }
  });
});

describe('keepLogicalIds', () => {
  class Part extends PipelinePart {
    readonly queue: sqs.Queue;
    constructor(scope: Construct, id: string) {
      super(scope, id);
      this.queue = new sqs.Queue(this, 'Queue');
    }
  }

  it('gives a resource inside a part the id it has as a direct child of the composing construct', () => {
    const direct = new Stack(fastApp(), 'S');
    const before = new sqs.Queue(new Construct(direct, 'Pipeline'), 'Queue');
    const beforeId = direct.getLogicalId(before.node.defaultChild as CfnResource);

    const stack = new Stack(fastApp(), 'S');
    const pipeline = new Construct(stack, 'Pipeline');
    const part = new Part(pipeline, 'Messaging');
    const element = part.queue.node.defaultChild as CfnResource;
    expect(finalLogicalId(element)).toBe(beforeId);
    expect(stack.resolve(element.logicalId)).not.toBe(beforeId);
    keepLogicalIds(pipeline);
    expect(stack.resolve(element.logicalId)).toBe(beforeId);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::SQS::Queue'))).toEqual([beforeId]);
  });

  it('refuses two parts whose resources would share an id', () => {
    const pipeline = new Construct(new Stack(fastApp(), 'S'), 'Pipeline');
    new Part(pipeline, 'One');
    new Part(pipeline, 'Two');
    expect(() => keepLogicalIds(pipeline)).toThrow(
      /S\/Pipeline\/Two\/Queue\/Resource and S\/Pipeline\/One\/Queue\/Resource/,
    );
  });

  it('refuses a resource in a part that would take the id of one outside the parts', () => {
    const pipeline = new Construct(new Stack(fastApp(), 'S'), 'Pipeline');
    new sqs.Queue(pipeline, 'Queue');
    new Part(pipeline, 'One');
    expect(() => keepLogicalIds(pipeline)).toThrow(/would both have logical id/);
  });
});
