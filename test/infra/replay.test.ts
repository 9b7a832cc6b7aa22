import type { CfnElement } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig, parseConfig } from '../../infra/config.ts';
import { finalLogicalId } from '../../infra/constructs/logical-ids.ts';
import { parseTrailLocation } from '../../infra/replay-config.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const KMS = 'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const config = loadConfig({
  homeRegion: 'eu-west-1',
  account: '111122223333',
  replay: {
    maxConcurrency: 25,
    batchFiles: 40,
    trailBuckets: ['org-trail-logs/central', 'acct-trail'],
    kmsKeyArn: KMS,
  },
});
const app = fastApp();
const stacks = buildTrailwarden(
  app,
  config,
  RULES.map((r) => r.on),
  { nag: false },
);
const template = Template.fromStack(stacks.main);
const replay = stacks.main.pipeline.replay;
const idOf = (c: IConstruct): string => finalLogicalId(c.node.defaultChild as CfnElement);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (roleId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

/** The state machine's definition, resolved with the tokens left as JSON. */
const definition = (): Record<string, unknown> => {
  const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  const body = sm?.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  // Tokens (ARNs, bucket names) sit inside the definition's strings: a placeholder keeps it valid JSON.
  const text = body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as Record<string, unknown>;
};
type MapState = {
  Type: string;
  ItemReader: { Resource: string; ReaderConfig: { InputType: string }; Parameters: Record<string, unknown> };
  ItemBatcher: { MaxItemsPerBatch: number; BatchInput: Record<string, unknown> };
  MaxConcurrency: number;
  ToleratedFailurePercentage: number;
  ItemProcessor: {
    ProcessorConfig: { Mode: string; ExecutionType: string };
    States: Record<string, { Retry: unknown }>;
  };
  ResultWriter: unknown;
};

describe('replay state machine (config.replay)', () => {
  if (replay === undefined) throw new Error('replay not built');
  const states = definition().States as Record<string, Record<string, unknown>>;
  const map = states.Select as unknown as MapState;

  it('plans, maps, then detects once; STANDARD, traced, logging every event to a KMS-encrypted log group', () => {
    expect(definition().StartAt).toBe('Plan');
    expect(states.Plan?.Next).toBe('Select');
    expect(states.Select?.Next).toBe('Detect');
    expect(states.Detect?.End).toBe(true);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    const logGroup = template.findResources('AWS::Logs::LogGroup')[idOf(replay.logGroup)];
    expect(logGroup?.Properties.KmsKeyId).toBeDefined();
  });

  it('reads the JSON manifest the plan step wrote, batches files, caps concurrency, tolerates no failure', () => {
    expect(map.Type).toBe('Map');
    expect(map.ItemReader.Resource).toContain('s3:getObject');
    expect(map.ItemReader.ReaderConfig.InputType).toBe('JSON');
    expect(map.ItemReader.Parameters['Key.$']).toBe('$.plan.manifestKey');
    expect(map.ItemBatcher.MaxItemsPerBatch).toBe(40);
    expect(map.ItemBatcher.BatchInput).toEqual({
      step: 'select',
      'replayId.$': '$$.Execution.Name',
      'bucket.$': '$.bucket',
      'from.$': '$.from',
      'to.$': '$.to',
      'rules.$': '$.rules',
    });
    expect(map.MaxConcurrency).toBe(25);
    // 0 %: CDK leaves a 0 out, and Step Functions' default is then 0 (any failed batch fails the map).
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(JSON.stringify(map)).not.toMatch(/ToleratedFailure(Count|Percentage)/);
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ResultWriter).toBeDefined();
  });

  it('retries every task with backoff', () => {
    const retry = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 2 }];
    expect(states.Plan?.Retry).toEqual(retry);
    expect(map.ItemProcessor.States.SelectBatch?.Retry).toEqual(retry);
    expect(states.Detect?.Retry).toEqual(retry);
    expect(states.Detect?.Parameters).toMatchObject({ step: 'detect', 'startedAt.$': '$$.State.EnteredTime' });
  });

  it('lets the function read the trail prefixes only (list with a prefix condition), decrypt with the trail key only', () => {
    // One entry per action and resource (CDK merges statements), ARNs flattened to text.
    const granted = statementsOf(idOf(replay.fn.role as IConstruct)).flatMap((st) =>
      [st.Action].flat().flatMap((Action) =>
        (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map((r) => ({
          Effect: st.Effect,
          Action,
          Resource: JSON.stringify(r).replace(/\{"Ref":"AWS::Partition"\}/g, 'aws'),
          Condition: st.Condition,
        })),
      ),
    );
    const onTrails = granted.filter((st) => /trail-logs|acct-trail/.test(st.Resource));
    expect(
      onTrails
        .map((st) => ({ Action: st.Action, Resource: st.Resource.replaceAll('"', ''), Condition: st.Condition }))
        .sort((a, b) => a.Resource.localeCompare(b.Resource)),
    ).toEqual([
      {
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::acct-trail',
        Condition: { StringLike: { 's3:prefix': ['AWSLogs/*'] } },
      },
      { Action: 's3:GetObject', Resource: 'arn:aws:s3:::acct-trail/AWSLogs/*', Condition: undefined },
      {
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::org-trail-logs',
        Condition: { StringLike: { 's3:prefix': ['central/AWSLogs/*'] } },
      },
      { Action: 's3:GetObject', Resource: 'arn:aws:s3:::org-trail-logs/central/AWSLogs/*', Condition: undefined },
    ]);
    // The trail's key: decrypt only, that key only.
    expect(granted.filter((st) => st.Resource.includes('444455556666'))).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: JSON.stringify(KMS), Condition: undefined },
    ]);
    // Its scratch space: get/put under replays/, no delete anywhere.
    expect(granted.flatMap((st) => [st.Action].flat()).filter((a) => /Delete|Retention|LegalHold/.test(a))).toEqual([]);
  });

  it('uses the state table through item operations and batched reads of behaviour memory only', () => {
    const actions = statementsOf(idOf(replay.fn.role as IConstruct))
      .flatMap((st) => [st.Action].flat())
      .filter((a) => a.startsWith('dynamodb:'));
    expect(actions.sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('publishes the state machine ARN and the work bucket for the CLI', () => {
    expect(Object.keys(template.findOutputs('*')).filter((k) => k.startsWith('Replay'))).toEqual([
      'ReplayStateMachineArn',
      'ReplayWorkBucketName',
    ]);
  });

  it('is not built without a trail bucket, and no kms:Decrypt is granted without a key', () => {
    const a = fastApp();
    const none = buildTrailwarden(
      a,
      loadConfig({}),
      RULES.map((r) => r.on),
      { nag: false },
    );
    expect(none.main.pipeline.replay).toBeUndefined();
    const b = fastApp();
    const nokey = buildTrailwarden(
      b,
      loadConfig({ replay: { trailBuckets: ['t-bucket'] } }),
      RULES.map((r) => r.on),
      {
        nag: false,
      },
    );
    const t = Template.fromStack(nokey.main);
    const role = nokey.main.pipeline.replay?.fn.role as IConstruct;
    const roleId = finalLogicalId(role.node.defaultChild as CfnElement);
    const actions = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((s) => [s.Action].flat());
    expect(JSON.stringify(actions)).toContain('kms:Decrypt'); // the pipeline's own storage key, as every function
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/arn:aws:kms:[a-z0-9-]+:\d{12}:key/);
    const defaults = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0];
    const text = JSON.stringify(defaults?.Properties.DefinitionString);
    expect(text).toContain('\\"MaxConcurrency\\":40');
    expect(text).toContain('\\"MaxItemsPerBatch\\":100');
  });

  it('passes cdk-nag AwsSolutions', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(Stack.of(replay).stackName).toBe('Trailwarden');
  });
});

describe('replay config', () => {
  it.each([
    [{ maxConcurrency: 0 }, 'replay.maxConcurrency: must be a whole number from 1 to 10000 (got 0)'],
    [{ batchFiles: 1001 }, 'replay.batchFiles: must be a whole number from 1 to 1000 (got 1001)'],
    [
      { trailBuckets: ['Bad_Bucket'] },
      'replay.trailBuckets[0]: must be "bucket" or "bucket/prefix", no wildcard (got "Bad_Bucket")',
    ],
    [
      { trailBuckets: ['b-ok/pre*'] },
      'replay.trailBuckets[0]: must be "bucket" or "bucket/prefix", no wildcard (got "b-ok/pre*")',
    ],
    [
      { kmsKeyArn: 'alias/x' },
      'replay.kmsKeyArn: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (got "alias/x")',
    ],
    [{ extra: 1 }, 'replay.extra: unknown key (known keys: maxConcurrency, batchFiles, trailBuckets, kmsKeyArn)'],
  ])('rejects %j', (replayConfig, error) => {
    const parsed = parseConfig({ replay: replayConfig });
    expect(parsed.ok ? [] : parsed.errors).toEqual([error]);
  });

  it('takes -c replay=JSON and applies defaults', () => {
    const parsed = parseConfig(undefined, { replay: '{"trailBuckets":["s3://b-1/x"]}' });
    expect(parsed.ok && parsed.config.replay).toEqual({
      maxConcurrency: 40,
      batchFiles: 100,
      trailBuckets: [{ bucket: 'b-1', prefix: 'x/' }],
    });
    expect(parseTrailLocation('b-1')).toEqual({ bucket: 'b-1', prefix: '' });
  });
});
