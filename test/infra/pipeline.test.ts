import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import type { TrailwardenConfig } from '../../infra/config.ts';
import { loadConfig } from '../../infra/config.ts';
import { forwarderPatternsFor, matchesPattern, patternsFor } from '../../infra/event-patterns.ts';
import { TrailwardenStack } from '../../infra/stacks/trailwarden-stack.ts';
import { parseDetectionConfig } from '../../rules/core/config.ts';
import { globToRegExp } from '../../rules/core/glob.ts';
import { isOwnResource } from '../../rules/core/self-protection.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const selectors = RULES.map((r) => r.on);
/** Global-service selectors, so the forwarder is exercised whatever the catalogue holds today. */
const globalSelectors: EventSelector[] = [
  { source: 'iam', eventNames: ['CreateUser', 'AttachUserPolicy'] },
  { source: 'signin', eventNames: ['ConsoleLogin'] },
  { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } },
];

/** Fast App (TOOLCHAIN): no CloudFormation validator, no bundling. */

const synth = (config: TrailwardenConfig = loadConfig(undefined), with_: readonly EventSelector[] = selectors) => {
  const stacks = buildTrailwarden(fastApp(), config, with_, { nag: false });
  return {
    stacks,
    main: Template.fromStack(stacks.main),
    forwarder: stacks.forwarder ? Template.fromStack(stacks.forwarder) : undefined,
  };
};

const euWest1 = loadConfig({
  homeRegion: 'eu-west-1',
  account: '111122223333',
  alerts: {
    emails: ['secops@example.com'],
    https: [
      {
        url: 'https://events.pagerduty.com/integration/KEY/enqueue',
        filterPolicy: { severity: ['critical', 'high'], drill: [{ exists: false }] },
      },
    ],
  },
});
const { stacks: euStacks, main } = synth(euWest1);

/** The logical id of a construct's CloudFormation resource, as synthesised (the pipeline's parts override them). */
const logicalIdOf = (c: IConstruct): string =>
  Stack.of(c).resolve((c.node.defaultChild as CfnElement).logicalId) as string;
/** Same construct paths in every `Trailwarden` stack, so the same ids in every template built here. */
const findingsTopicId = logicalIdOf(euStacks.main.pipeline.topic);
const alarmTopicId = logicalIdOf(euStacks.main.pipeline.alarmTopic);
const messagingKeyId = logicalIdOf(euStacks.main.pipeline.messagingKey);
/** The statements of the policy of one topic. */
const topicStatements = (template: Template, topicId: string): Statement[] =>
  Object.values(template.findResources('AWS::SNS::TopicPolicy'))
    .filter((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topicId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const subscriptionsOf = (template: Template, topicId: string) =>
  Object.values(template.findResources('AWS::SNS::Subscription'))
    .map((r) => r.Properties)
    .filter((p) => JSON.stringify(p.TopicArn) === JSON.stringify({ Ref: topicId }));

const refOf = (template: Template, type: string): string => {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Principal?: unknown;
};
const statementsOf = (template: Template, type: string, documentKey: string): Statement[] =>
  Object.values(template.findResources(type)).flatMap(
    (r) => (r.Properties[documentKey] as { Statement: Statement[] }).Statement,
  );
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('evidence bucket', () => {
  const bucketId = () =>
    Object.entries(main.findResources('AWS::S3::Bucket')).find(([, r]) => r.Properties.ObjectLockEnabled)?.[0];

  it('locks every object in COMPLIANCE mode for 365 days by default, versioned, KMS with a bucket key', () => {
    main.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'evidence/' },
    });
    const bucket = main.findResources('AWS::S3::Bucket')[bucketId() as string];
    expect(bucket?.DeletionPolicy).toBe('Retain');
  });

  it('takes the retention from the config', () => {
    const { main: t } = synth(loadConfig({ retentionDays: 2555 }));
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
  });

  it('refuses plain HTTP on both buckets', () => {
    const policies = main.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('keeps its access logs in an SSE-S3, versioned, private bucket that expires them', () => {
    main.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })] },
    });
    const { main: t } = synth(loadConfig({ evidenceLogRetentionDays: 90 }));
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });
});

describe('state table', () => {
  it('is on-demand with PITR, TTL on ttl, a customer key, and retained', () => {
    main.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      }),
    });
  });
});

describe('queue, topic and keys', () => {
  it('encrypts both queues with the customer key, TLS only, and redrives to the DLQ after 5 receives', () => {
    // The event queue and its DLQ; the drill subscription's two queues are checked in test/infra/drills.test.ts.
    const drillQueues = [
      euStacks.main.pipeline.drills.drillQueue,
      euStacks.main.pipeline.drills.drillDeadLetterQueue,
    ].map(logicalIdOf);
    const queues = Object.fromEntries(
      Object.entries(main.findResources('AWS::SQS::Queue')).filter(([id]) => !drillQueues.includes(id)),
    );
    expect(Object.keys(queues)).toHaveLength(2);
    const dlqId = Object.entries(queues).find(([, q]) => q.Properties.RedrivePolicy === undefined)?.[0];
    for (const q of Object.values(queues))
      expect(q.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    main.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    for (const policy of Object.values(main.findResources('AWS::SQS::QueuePolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it.each([
    ['findings', findingsTopicId],
    ['alarm', alarmTopicId],
  ])('encrypts the %s topic with the messaging key and refuses plain HTTP publishing', (_name, topicId) => {
    expect(Object.keys(main.findResources('AWS::SNS::Topic')).sort()).toEqual([alarmTopicId, findingsTopicId].sort());
    const topic = main.findResources('AWS::SNS::Topic')[topicId];
    expect(topic?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [messagingKeyId, 'Arn'] });
    expect(topicStatements(main, topicId)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('rotates and retains both symmetric keys, and retains the signing key (asymmetric keys do not rotate)', () => {
    const keys = main.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(3);
    for (const key of Object.values(keys)) {
      expect(key.DeletionPolicy).toBe('Retain');
      if (key.Properties.KeyUsage === 'SIGN_VERIFY') continue;
      expect(key.Properties.EnableKeyRotation).toBe(true);
    }
  });

  it('lets EventBridge (this account) and CloudWatch alarms use the messaging key', () => {
    const statements = statementsOf(main, 'AWS::KMS::Key', 'KeyPolicy');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
      }),
    );
    expect(statements).toContainEqual(expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' } }));
  });

  it('subscribes the configured email and the pager to findings, the pager with its filter policy', () => {
    expect(subscriptionsOf(main, findingsTopicId).filter((p) => p.Protocol !== 'sqs')).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'secops@example.com' }),
      expect.objectContaining({
        Protocol: 'https',
        Endpoint: 'https://events.pagerduty.com/integration/KEY/enqueue',
        FilterPolicy: { severity: ['critical', 'high'], drill: [{ exists: false }] },
      }),
    ]);
    // With no endpoint configured, only the drill-only subscription (an SQS queue, filtered on drill) remains.
    expect(
      Object.values(synth().main.findResources('AWS::SNS::Subscription')).map((r) => [
        r.Properties.Protocol,
        r.Properties.FilterPolicy,
      ]),
    ).toEqual([['sqs', { drill: ['true'] }]]);
  });

  it('subscribes every configured endpoint to the alarm topic without a filter policy', () => {
    const config = loadConfig({
      alerts: {
        emails: ['secops@example.com', 'oncall@example.com'],
        https: [
          { url: 'https://events.pagerduty.com/integration/KEY/enqueue', filterPolicy: { severity: ['critical'] } },
          { url: 'https://hooks.example.com/trailwarden' },
        ],
      },
    });
    const { main: t } = synth(config);
    const onAlarms = subscriptionsOf(t, alarmTopicId);
    expect(onAlarms.map((p) => `${p.Protocol} ${p.Endpoint}`).sort()).toEqual([
      'email oncall@example.com',
      'email secops@example.com',
      'https https://events.pagerduty.com/integration/KEY/enqueue',
      'https https://hooks.example.com/trailwarden',
    ]);
    for (const p of onAlarms) {
      expect(p.FilterPolicy, p.Endpoint).toBeUndefined();
      expect(p.FilterPolicyScope, p.Endpoint).toBeUndefined();
    }
    // The findings topic keeps the pager's filter.
    expect(subscriptionsOf(t, findingsTopicId)).toContainEqual(
      expect.objectContaining({
        Endpoint: 'https://events.pagerduty.com/integration/KEY/enqueue',
        FilterPolicy: { severity: ['critical'] },
      }),
    );
    expect(subscriptionsOf(main, alarmTopicId)).toHaveLength(2);
  });
});

/**
 * DETECTION_CONFIG as the function reads it once deployed, parsed. It holds deploy-time values (the keys' ARNs,
 * the account), so it synthesises to an Fn::Join; those values show as `<Logical.Arn>` and `<AWS::AccountId>`.
 */
const detectionConfigOf = (template: Template): Record<string, unknown> => {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (r) => r.Properties.Environment?.Variables?.DETECTION_CONFIG !== undefined,
  );
  // The evaluate function, and the drill function, which plans drills against exactly what evaluate runs.
  expect(fns).toHaveLength(2);
  expect(fns[1]?.Properties.Environment.Variables.DETECTION_CONFIG).toEqual(
    fns[0]?.Properties.Environment.Variables.DETECTION_CONFIG,
  );
  const value: unknown = fns[0]?.Properties.Environment.Variables.DETECTION_CONFIG;
  const part = (p: unknown): string => {
    if (typeof p === 'string') return p;
    const { 'Fn::GetAtt': att, Ref: ref } = p as { 'Fn::GetAtt'?: string[]; Ref?: string };
    if (att !== undefined) return `<${att.join('.')}>`;
    if (ref !== undefined) return `<${ref}>`;
    throw new Error(`unexpected intrinsic in DETECTION_CONFIG: ${JSON.stringify(p)}`);
  };
  const text =
    typeof value === 'string'
      ? value
      : (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map(part).join('');
  return JSON.parse(text) as Record<string, unknown>;
};

describe('evaluate function', () => {
  it('runs nodejs24.x on arm64 with its environment', () => {
    main.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: refOf(main, 'AWS::DynamoDB::Table') },
          TOPIC_ARN: { Ref: findingsTopicId },
          EVIDENCE_BUCKET: Match.anyValue(),
          DETECTION_CONFIG: Match.anyValue(),
          POWERTOOLS_SERVICE_NAME: 'trailwarden',
        }),
      },
    });
  });

  it('passes the detection config through as JSON', () => {
    const config = loadConfig({ detection: { approved: { iacUserAgents: ['Terraform'] } } });
    // selfProtection is the stack's addition (see 'self-protection' below).
    const { selfProtection: _, ...detection } = detectionConfigOf(synth(config).main);
    expect(detection).toEqual(config.detection);
  });

  it('consumes the queue in batches of 100 within 10 s, reporting partial failures', () => {
    main.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('has a custom role with no managed policies', () => {
    const roles = main.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  const functionStatements = statementsOf(main, 'AWS::IAM::Policy', 'PolicyDocument');
  // The digest function reads the bucket by design (see 'digest function' below); the others never read it.
  const digestRoleId = logicalIdOf(euStacks.main.pipeline.digestFunction.role as unknown as IConstruct);
  // The drill function HEADs findings and the health function reads drills/ (test/infra/drills.test.ts): GetObject
  // on one prefix each, left out here; every other writer never reads the bucket.
  const drillRead = (s: Statement) =>
    actionsOf(s).includes('s3:GetObject') && /"\/(findings|drills)\/\*"/.test(JSON.stringify(s.Resource));
  const writerStatements = Object.values(main.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) !== JSON.stringify([{ Ref: digestRoleId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => !drillRead(s));

  it('may not delete, and has no wildcard action or resource', () => {
    const actions = writerStatements.flatMap(actionsOf);
    expect(actions.filter((a) => /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|PutBucket|Get)/.test(a))).toEqual(
      [],
    );
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:Scan');
    // The only `*` resources: AWS Config's recorder status read, with no trails configured CloudTrail's
    // DescribeTrails (trail discovery), and the elevated-access check's account-wide IAM user and role listings.
    const anyResource = functionStatements.filter((s) => s.Resource === '*');
    expect(anyResource.flatMap(actionsOf).sort()).toEqual([
      'cloudtrail:DescribeTrails',
      'config:DescribeConfigurationRecorderStatus',
      'iam:ListRoles',
      'iam:ListUsers',
    ]);
  });

  it('writes evidence under findings/ and incidents/ (evaluate, health), triage/ (the webhook), drills/ (the drill function) and findings/, incidents/, triage/ (the elevated-access check) only', () => {
    const put = writerStatements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(put).toHaveLength(5);
    const prefixes = put.map((s) =>
      [...JSON.stringify(s.Resource).matchAll(/"\/([a-z]+)\/\*"/g)].map((m) => m[1]).join('+'),
    );
    expect(prefixes.sort()).toEqual([
      'drills',
      'findings+incidents',
      'findings+incidents',
      'findings+incidents+triage',
      'triage',
    ]);
  });

  /** Every AWS call the functions make must be granted: read the SDK commands they import. */
  it('is granted every DynamoDB, S3 and SNS command the function code sends', () => {
    const root = join(import.meta.dirname, '../../functions');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
      );
    const prefix: Record<string, string> = {
      dynamodb: 'dynamodb',
      s3: 's3',
      sns: 'sns',
      'secrets-manager': 'secretsmanager',
    };
    // Commands authorized by an action of another name (AWS service authorization reference).
    const actionOf: Record<string, string> = { 's3:HeadObject': 's3:GetObject', 's3:ListObjectsV2': 's3:ListBucket' };
    const needed = new Set<string>();
    for (const file of files(root)) {
      const source = readFileSync(file, 'utf8');
      // Static imports, and the lazy ones (`const { XCommand } = await import('@aws-sdk/client-s3')`).
      for (const m of source.matchAll(
        /(?:import\s*\{([^}]*)\}\s*from\s*|const\s*\{([^}]*)\}\s*=\s*await\s+import\()'@aws-sdk\/client-(dynamodb|s3|sns|secrets-manager)'/g,
      )) {
        for (const name of (m[1] ?? m[2] ?? '').split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
          if (!name.endsWith('Command')) continue;
          const command = `${prefix[m[3] as string]}:${name.slice(0, -'Command'.length)}`;
          needed.add(actionOf[command] ?? command);
        }
      }
    }
    // The functions' own DynamoDB client (dynamodb-http.ts) names the operation: `client.call('GetItem', …)`.
    const lean = new Set<string>();
    for (const file of files(join(root, 'shared/adapters'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\.call\(\s*'([A-Z][A-Za-z]+)'/g))
        lean.add(`dynamodb:${m[1]}`);
    }
    expect(lean).toContain('dynamodb:BatchGetItem');
    // The shared listing (s3-list.ts) loads its command lazily: it is still seen.
    expect(needed).toContain('s3:ListBucket');
    for (const a of lean) needed.add(a);
    expect(needed.size).toBeGreaterThan(0);
    const granted = new Set(functionStatements.flatMap(actionsOf));
    expect([...needed].filter((a) => !granted.has(a))).toEqual([]);
    // The evaluate function reads behaviour memory a batch at a time; nothing else on the table beyond items.
    const evaluateRoleId = logicalIdOf(euStacks.main.pipeline.evaluateFunction.role as unknown as IConstruct);
    const evaluateTableActions = Object.values(main.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: evaluateRoleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('dynamodb:'));
    expect(evaluateTableActions.sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });
});

describe('drill key', () => {
  const OPERATOR = 'arn:aws:iam::111122223333:role/trailwarden-drill-operator';
  const withOperator = synth(loadConfig({ drillOperators: [OPERATOR] })).main;
  const evaluateRoleId = logicalIdOf(euStacks.main.pipeline.evaluateFunction.role as unknown as IConstruct);
  const secretId = logicalIdOf(euStacks.main.pipeline.drillKey.secret);
  const policyOf = (t: Template) => statementsOf(t, 'AWS::SecretsManager::ResourcePolicy', 'ResourcePolicy');
  const roleArn = { 'Fn::GetAtt': [evaluateRoleId, 'Arn'] };

  it('is a generated secret whose ARN the evaluate function is told, to read on demand', () => {
    main.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
      // Named `<StackName>-…` so secretsmanager.trailwarden-secret-tampered knows both secrets as Trailwarden's.
      Name: 'Trailwarden-drill-key',
    });
    main.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'Trailwarden-pagerduty-webhook' });
    main.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DRILL_KEY_SECRET_ARN: { Ref: secretId } }) },
    });
    const reads = statementsOf(main, 'AWS::IAM::Policy', 'PolicyDocument').filter((st) =>
      actionsOf(st).includes('secretsmanager:GetSecretValue'),
    );
    // The drill key (evaluate, drill and elevated-access functions), and the triage webhook's own PagerDuty
    // secret (test/infra/triage-webhook.test.ts): no other.
    const pagerDutySecretId = logicalIdOf(euStacks.main.pipeline.triageWebhook.secret as unknown as IConstruct);
    expect(reads.map((st) => JSON.stringify(st.Resource)).sort()).toEqual(
      [{ Ref: secretId }, { Ref: secretId }, { Ref: secretId }, { Ref: pagerDutySecretId }]
        .map((r) => JSON.stringify(r))
        .sort(),
    );
  });

  it('denies reading it to everyone but the evaluate role, the configured operators, the drill function and the elevated-access check', () => {
    const deny = (t: Template) =>
      policyOf(t).find((st) => st.Effect === 'Deny' && actionsOf(st).includes('secretsmanager:GetSecretValue'));
    const arnOf = (role: unknown) => ({ 'Fn::GetAtt': [logicalIdOf(role as IConstruct), 'Arn'] });
    const drillRoleArn = arnOf(euStacks.main.pipeline.drills.drillFunction.role);
    // The elevated-access check verifies signed drill observations (rules/core/observation-drill.ts).
    const elevatedRoleArn = arnOf(euStacks.main.pipeline.elevatedAccess?.fn.role);
    expect(deny(main)?.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': [roleArn, drillRoleArn, elevatedRoleArn] },
    });
    expect(deny(withOperator)?.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': [roleArn, OPERATOR, drillRoleArn, elevatedRoleArn] },
    });
    expect(deny(main)?.Principal).toEqual({ AWS: '*' });
  });

  it('lets only the operators replace it (nobody, when none are configured)', () => {
    const put = (t: Template) =>
      policyOf(t).find((st) => st.Effect === 'Deny' && actionsOf(st).includes('secretsmanager:PutSecretValue'));
    expect(put(main)?.Condition).toBeUndefined();
    expect(put(withOperator)?.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': [OPERATOR] } });
    const allow = policyOf(withOperator).filter((st) => st.Effect === 'Allow');
    expect(allow.map((st) => [st.Principal, actionsOf(st)])).toEqual([
      [
        { AWS: OPERATOR },
        // Sorted by @aws-cdk/aws-iam:minimizePolicies (cdk.json).
        ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      ],
    ]);
    expect(policyOf(main).filter((st) => st.Effect === 'Allow')).toEqual([]);
  });

  it('refuses an operator that is not a role ARN', () => {
    expect(() => loadConfig({ drillOperators: ['alice'] })).toThrow(/drillOperators\[0\]: must be IAM role ARNs/);
  });
});

describe('alarms', () => {
  it.each([
    ['ApproximateNumberOfMessagesVisible', 'AWS/SQS', 0],
    ['Errors', 'AWS/Lambda', 0],
    ['ApproximateAgeOfOldestMessage', 'AWS/SQS', 300],
  ])('%s > %s pages the alarm topic', (metric, namespace, threshold) => {
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: metric,
      Namespace: namespace,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: alarmTopicId }],
    });
  });

  it('pages when the evaluate function cannot read the rule text shipped beside its bundle', () => {
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RuleTextErrors',
      Namespace: 'Trailwarden',
      Dimensions: [{ Name: 'service', Value: 'trailwarden-evaluate' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: alarmTopicId }],
    });
  });

  it('pages when the evaluate function cannot load its rules (they load on the first event a rule selects)', () => {
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RuleLoadFailures',
      Namespace: 'Trailwarden',
      Dimensions: [{ Name: 'service', Value: 'trailwarden-evaluate' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: alarmTopicId }],
    });
  });

  it('sends every alarm to the alarm topic, and only there', () => {
    const alarms = Object.values(main.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(euStacks.main.pipeline.alarms.length);
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: alarmTopicId }]);
  });

  it('lets CloudWatch alarms of this account publish to the alarm topic, and not to the findings topic', () => {
    expect(topicStatements(main, alarmTopicId)).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: alarmTopicId },
        Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': '111122223333' } }),
      }),
    );
    const findings = topicStatements(main, findingsTopicId);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.filter((s) => JSON.stringify(s.Principal).includes('cloudwatch'))).toEqual([]);
  });
});

/** The generated routes: every EventBridge rule but the health schedule. */
const routeRules = (template: Template) =>
  Object.entries(template.findResources('AWS::Events::Rule')).filter(
    ([, r]) => r.Properties.EventPattern !== undefined,
  );

describe('EventBridge routing', () => {
  const rules = routeRules(main).map(([, r]) => r);

  it('creates one rule per generated pattern, all targeting the queue with the DLQ', () => {
    expect(rules).toHaveLength(patternsFor(selectors).length);
    const queues = main.findResources('AWS::SQS::Queue');
    const queueId = Object.entries(queues).find(([, q]) => q.Properties.RedrivePolicy)?.[0];
    const dlqId = Object.entries(queues).find(([, q]) => !q.Properties.RedrivePolicy)?.[0];
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        }),
      ]);
    }
  });

  it('routes every event name of every rule in the catalogue', () => {
    const deployed = rules.map((r) => r.Properties.EventPattern);
    for (const rule of RULES) {
      const on = rule.on;
      if (!('eventNames' in on) || on.source === '*' || on.eventNames === '*') continue;
      for (const eventName of on.eventNames) {
        const event = {
          source: `aws.${on.source}`,
          'detail-type': on.source === 'signin' ? 'AWS Console Sign In via CloudTrail' : 'AWS API Call via CloudTrail',
          detail: { eventSource: `${on.source}.amazonaws.com`, eventName, userIdentity: { type: 'IAMUser' } },
        };
        expect(
          deployed.some((p) => matchesPattern(p, event)),
          `${rule.id}: ${eventName}`,
        ).toBe(true);
      }
    }
  });

  it('has no catch-all rule and receives read-only management events on CloudTrail rules', () => {
    for (const rule of rules) {
      const pattern = rule.Properties.EventPattern;
      const detail = pattern.detail ?? {};
      const narrowed =
        'eventSource' in detail ||
        'eventName' in detail ||
        'userIdentity' in detail ||
        'errorCode' in detail ||
        // User-agent wildcards narrow only when each names some text, not a bare `*`.
        (Array.isArray(detail.userAgent) &&
          detail.userAgent.every(
            (v: { wildcard?: unknown }) => typeof v.wildcard === 'string' && v.wildcard.replaceAll('*', '') !== '',
          )) ||
        detail.configurationItem?.resourceType !== undefined ||
        detail.newEvaluationResult?.complianceType !== undefined;
      expect(narrowed, JSON.stringify(pattern)).toBe(true);
      const cloudTrail = !JSON.stringify(pattern['detail-type']).includes('Config');
      expect(rule.Properties.State).toBe(cloudTrail ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED');
    }
  });

  it('allows exactly these rules to send to the queues', () => {
    const ruleIds = routeRules(main)
      .map(([id]) => id)
      .sort();
    const drillQueue = logicalIdOf(euStacks.main.pipeline.drills.drillQueue);
    const drillDlq = logicalIdOf(euStacks.main.pipeline.drills.drillDeadLetterQueue);
    const routeQueuePolicies = Object.values(main.findResources('AWS::SQS::QueuePolicy')).filter(
      (p) => ![drillQueue, drillDlq].some((id) => JSON.stringify(p.Properties.Queues).includes(id)),
    );
    expect(routeQueuePolicies).toHaveLength(2);
    for (const policy of routeQueuePolicies) {
      const allow = (policy.Properties.PolicyDocument.Statement as Statement[]).find((s) => s.Effect === 'Allow');
      expect(allow).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' });
      const condition = allow?.Condition as { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [string, string] }[] } };
      const arns = condition.ArnEquals['aws:SourceArn'];
      expect(arns.map((a) => a['Fn::GetAtt'][0]).sort()).toEqual(ruleIds);
    }
  });
});

describe('forwarder stack', () => {
  const { stacks, main: withGlobal, forwarder } = synth(euWest1, [...selectors, ...globalSelectors]);

  it('lets only the forwarder role of this account put events on the default bus', () => {
    withGlobal.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } },
        Condition: {
          ArnEquals: {
            'aws:PrincipalArn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:role/trailwarden-forwarder-eu-west-1'],
              ],
            },
          },
        },
      },
    });
  });

  it('lives in us-east-1 and forwards to the home region default bus with its named role', () => {
    expect(stacks.forwarder?.region).toBe('us-east-1');
    if (forwarder === undefined) throw new Error('no forwarder stack');
    // Region known: the partition is a literal (@aws-cdk/core:enablePartitionLiterals).
    const homeBus = 'arn:aws:events:eu-west-1:111122223333:event-bus/default';
    forwarder.hasResourceProperties('AWS::IAM::Role', { RoleName: 'trailwarden-forwarder-eu-west-1' });
    forwarder.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: homeBus }] },
    });
    const rules = Object.values(forwarder.findResources('AWS::Events::Rule'));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: homeBus,
          RoleArn: { 'Fn::GetAtt': [refOf(forwarder, 'AWS::IAM::Role'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [refOf(forwarder, 'AWS::SQS::Queue'), 'Arn'] } },
        }),
      ]);
      expect(rule.Properties.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    }
  });

  it('asks for the home region at deploy time when the config has none, and refuses us-east-1', () => {
    const { forwarder: t } = synth(loadConfig(undefined), globalSelectors);
    if (t === undefined) throw new Error('no forwarder stack');
    t.hasParameter('HomeRegion', { Type: 'String' });
    expect(JSON.stringify(t.toJSON().Rules)).toContain('us-east-1');
  });

  it('is not built when the home region is us-east-1, nor while no rule watches a global service', () => {
    const { stacks: s, main: t } = synth(loadConfig({ homeRegion: 'us-east-1' }), globalSelectors);
    expect(s.forwarder).toBeUndefined();
    expect(t.findResources('AWS::Events::EventBusPolicy')).toEqual({});
    const { stacks: none } = synth(euWest1, [{ source: 'cloudtrail', eventNames: ['StopLogging'] }]);
    expect(none.forwarder).toBeUndefined();
  });

  it('forwards exactly the global-service patterns', () => {
    if (forwarder === undefined) throw new Error('no forwarder stack');
    const deployed = Object.values(forwarder.findResources('AWS::Events::Rule')).map((r) => r.Properties.EventPattern);
    expect(deployed).toEqual(forwarderPatternsFor([...selectors, ...globalSelectors]).map((p) => p.pattern));
  });
});

describe('self-protection', () => {
  const messagingKey = Object.keys(main.findResources('AWS::KMS::Key')).find((id) => id.includes('MessagingKey'));
  const storageKey = Object.keys(main.findResources('AWS::KMS::Key')).find((id) => id.includes('StorageKey'));
  const signingKey = Object.keys(main.findResources('AWS::KMS::Key')).find((id) => id.includes('DigestSigningKey'));

  it("tells the evaluate function the stack's own resources and deploy role", () => {
    expect(detectionConfigOf(main).selfProtection).toEqual({
      resources: [
        'Trailwarden-*',
        'trailwarden-*',
        'Trailwarden',
        'TrailwardenForwarder',
        `<${messagingKey}.Arn>`,
        `<${storageKey}.Arn>`,
        `<${signingKey}.Arn>`,
      ],
      deployRoles: ['arn:aws:iam::111122223333:role/cdk-*-cfn-exec-role-*'],
    });
  });

  it('leaves names to CloudFormation, so they start with the stack name the globs are made of', () => {
    const named: Record<string, string> = {
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::Events::Rule': 'Name',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::SQS::Queue': 'QueueName',
    };
    for (const [type, property] of Object.entries(named)) {
      const resources = Object.values(main.findResources(type));
      expect(resources.length, type).toBeGreaterThan(0);
      for (const r of resources) expect(r.Properties?.[property], `${type}.${property}`).toBeUndefined();
    }
  });

  it('adds to the selfProtection of the config instead of replacing it', () => {
    const config = loadConfig({
      detection: {
        selfProtection: {
          resources: ['arn:aws:s3:::org-cloudtrail-logs'],
          deployRoles: ['arn:aws:iam::111122223333:role/platform-deploy'],
        },
      },
    });
    expect(detectionConfigOf(synth(config).main).selfProtection).toEqual({
      resources: [
        'arn:aws:s3:::org-cloudtrail-logs',
        'Trailwarden-*',
        'trailwarden-*',
        'Trailwarden',
        'TrailwardenForwarder',
        `<${messagingKey}.Arn>`,
        `<${storageKey}.Arn>`,
        `<${signingKey}.Arn>`,
      ],
      deployRoles: [
        'arn:aws:iam::111122223333:role/platform-deploy',
        'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-*-cfn-exec-role-*',
      ],
    });
  });

  it('derives the globs from the name of the stack it is in', () => {
    const app = fastApp();
    const stack = new TrailwardenStack(app, 'AuditPipeline', { config: euWest1, selectors });
    const own = detectionConfigOf(Template.fromStack(stack)).selfProtection as { resources: string[] };
    expect(own.resources.slice(0, 2)).toEqual(['AuditPipeline-*', 'auditpipeline-*']);
  });

  it('is a config the evaluate function accepts, and names what CloudFormation will create', () => {
    const withDetection = loadConfig({
      homeRegion: 'eu-west-1',
      account: '111122223333',
      detection: { approvedRegions: ['eu-west-1'], approved: { iacUserAgents: ['aws-cdk/'] } },
    });
    const deployed = JSON.parse(
      JSON.stringify(detectionConfigOf(synth(withDetection).main))
        .replaceAll(
          `<${messagingKey}.Arn>`,
          'arn:aws:kms:eu-west-1:111122223333:key/0c5e7a1d-3b9f-4e2a-8d6c-5f1b2a3c4d5e',
        )
        .replaceAll(
          `<${storageKey}.Arn>`,
          'arn:aws:kms:eu-west-1:111122223333:key/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e',
        )
        .replaceAll('<AWS::Partition>', 'aws'),
    );
    const parsed = parseDetectionConfig(deployed, 'DETECTION_CONFIG');
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const config = parsed.config;
    expect(isOwnResource(['Trailwarden-PipelineEvaluateFunction0886DCF1-Ab3dE5fG7hJ9'], config)).toBe(true);
    expect(isOwnResource(['trailwarden-pipelineevidencebucket74527613-a1b2c3d4e5f6'], config)).toBe(true);
    expect(isOwnResource(['arn:aws:kms:eu-west-1:111122223333:key/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e'], config)).toBe(
      true,
    );
    expect(isOwnResource(['orders-webhook', 'TrailwardenForwarder-Route'], config)).toBe(false);
    const deployRole = 'arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1';
    expect(config.selfProtection?.deployRoles.some((glob) => globToRegExp(glob).test(deployRole))).toBe(true);
  });
});

describe('dashboard', () => {
  const dashboards = main.findResources('AWS::CloudWatch::Dashboard');
  type Widget = {
    type: string;
    properties: { title?: string; metrics?: unknown[][]; alarms?: string[]; markdown?: string };
  };
  /** The body is a Fn::Join of JSON text and references: references become `<Id>` / `<Id.Attr>` to parse it. */
  const widgets = (): Widget[] => {
    const [dashboard] = Object.values(dashboards);
    if (dashboard === undefined) throw new Error('no dashboard');
    const [, parts] = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const text = parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const ref = p as { Ref?: string; 'Fn::GetAtt'?: string[] };
        return `<${ref.Ref ?? ref['Fn::GetAtt']?.join('.')}>`;
      })
      .join('');
    return (JSON.parse(text) as { widgets: Widget[] }).widgets;
  };
  const metricsOf = (title: string) => widgets().find((w) => w.properties.title === title)?.properties.metrics ?? [];
  const names = (rows: unknown[][]) => rows.map((row) => row.filter((x) => typeof x === 'string'));

  it('exists once, named by CloudFormation', () => {
    expect(Object.keys(dashboards)).toHaveLength(1);
    expect(Object.values(dashboards)[0]?.Properties.DashboardName).toBeUndefined();
    main.hasOutput('DashboardName', { Value: { Ref: Object.keys(dashboards)[0] } });
  });

  it('graphs the dead-letter queue depth and the age of the oldest queued event', () => {
    const dlq = Object.keys(main.findResources('AWS::SQS::Queue')).find((id) => id.includes('DeadLetterQueue'));
    expect(names(metricsOf('Dead-letter queue depth'))).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `<${dlq}.QueueName>`],
    ]);
    expect(names(metricsOf('Age of oldest queued event (s)'))[0]?.slice(0, 2)).toEqual([
      'AWS/SQS',
      'ApproximateAgeOfOldestMessage',
    ]);
  });

  it("graphs events in from both the function's EMF metrics and SQS, and findings by severity", () => {
    expect(names(metricsOf('Events in')).map((row) => row.slice(0, 2))).toEqual([
      ['Trailwarden', 'EventsIn'],
      ['AWS/SQS', 'NumberOfMessagesReceived'],
    ]);
    expect(names(metricsOf('Events in'))[0]).toEqual(['Trailwarden', 'EventsIn', 'service', 'trailwarden-evaluate']);
    expect(names(metricsOf('Findings by severity'))).toEqual(
      ['critical', 'high', 'medium', 'low', 'info'].map((severity) => [
        'Trailwarden',
        'FindingsBySeverity',
        'service',
        'trailwarden-evaluate',
        'severity',
        severity,
      ]),
    );
    expect(names(metricsOf('Pipeline failures')).map((row) => row[1])).toEqual([
      'MalformedRecords',
      'DeliveryFailures',
      'FailedRecords',
    ]);
    expect(JSON.stringify(metricsOf('Suppressed per rule (archived, not paged)'))).toContain(
      'MetricName=\\"Suppressed\\"',
    );
  });

  it("graphs the evaluate function's errors, throttles and duration", () => {
    expect(names(metricsOf('Evaluate function')).map((row) => row.slice(0, 2))).toEqual([
      ['AWS/Lambda', 'Errors'],
      ['AWS/Lambda', 'Throttles'],
      ['AWS/Lambda', 'Duration'],
      ['AWS/Lambda', 'Duration'],
    ]);
  });

  it('shows the state of every pipeline alarm, and points to the On call runbook', () => {
    const alarmIds = Object.keys(main.findResources('AWS::CloudWatch::Alarm'));
    expect(alarmIds.length).toBeGreaterThanOrEqual(3);
    const status = widgets().find((w) => w.type === 'alarm');
    expect([...(status?.properties.alarms ?? [])].sort()).toEqual(alarmIds.map((id) => `<${id}.Arn>`).sort());
    expect(widgets().find((w) => w.type === 'text')?.properties.markdown).toContain('On call');
  });
});

describe('health function', () => {
  const withTrails = synth(
    loadConfig({
      homeRegion: 'eu-west-1',
      account: '111122223333',
      trails: ['org-trail', 'arn:aws:cloudtrail:us-east-1:999988887777:trail/management'],
    }),
  ).main;
  const healthFunctionId = (t: Template) => {
    const ids = Object.entries(t.findResources('AWS::Lambda::Function'))
      .filter(([, r]) => r.Properties.Environment?.Variables?.SILENCE_MINUTES !== undefined)
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    return ids[0] as string;
  };
  const healthStatements = (t: Template): Statement[] => {
    const fn = t.findResources('AWS::Lambda::Function')[healthFunctionId(t)];
    if (fn === undefined) throw new Error('no health function');
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };

  it('runs nodejs24.x on arm64 with the table, topic, bucket, trails and thresholds', () => {
    withTrails.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: refOf(withTrails, 'AWS::DynamoDB::Table') },
          TOPIC_ARN: { Ref: findingsTopicId },
          EVIDENCE_BUCKET: Match.anyValue(),
          TRAILS: '["org-trail","arn:aws:cloudtrail:us-east-1:999988887777:trail/management"]',
          ACCOUNT_ID: '111122223333',
          DELIVERY_LAG_MINUTES: '60',
          SILENCE_MINUTES: '360',
        }),
      },
    });
  });

  it('takes its thresholds from the health block of the config', () => {
    const { main: t } = synth(loadConfig({ health: { deliveryLagMinutes: 30, silenceMinutes: 720 } }));
    const variables = t.findResources('AWS::Lambda::Function')[healthFunctionId(t)]?.Properties.Environment.Variables;
    expect(variables).toMatchObject({ DELIVERY_LAG_MINUTES: '30', SILENCE_MINUTES: '720' });
  });

  it('runs every 5 minutes, without async retries', () => {
    const id = healthFunctionId(main);
    main.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    main.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
  });

  it('may read the status of the configured trails only', () => {
    const trail = healthStatements(withTrails).filter((s) => actionsOf(s).some((a) => a.startsWith('cloudtrail:')));
    expect(trail).toEqual([
      {
        Effect: 'Allow',
        // Sorted by @aws-cdk/aws-iam:minimizePolicies.
        Action: ['cloudtrail:GetEventSelectors', 'cloudtrail:GetTrailStatus'],
        Resource: [
          'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail',
          'arn:aws:cloudtrail:us-east-1:999988887777:trail/management',
        ],
      },
    ]);
    // None configured: the function discovers the trails and reads the status of any it finds, nothing more.
    const discovered = healthStatements(main).filter((s) => actionsOf(s).some((a) => a.startsWith('cloudtrail:')));
    // Merged with the Config read by @aws-cdk/aws-iam:minimizePolicies: both have no resource-level permissions.
    expect(discovered.map((s) => [actionsOf(s), s.Resource])).toEqual([
      [['cloudtrail:DescribeTrails', 'config:DescribeConfigurationRecorderStatus'], '*'],
      [['cloudtrail:GetEventSelectors', 'cloudtrail:GetTrailStatus'], 'arn:aws:cloudtrail:*:*:trail/*'],
    ]);
  });

  it('has the state-table item actions, publish, evidence put under findings/, and nothing wider', () => {
    const statements = healthStatements(withTrails);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actions).toContain('sns:Publish');
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actions.filter((a) => /^s3:(Delete|PutBucket|PutObjectRetention|PutObjectLegalHold)/.test(a))).toEqual([]);
    // It reads drill records only (the overdue and failed-drill checks).
    const reads = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:Get')));
    expect(reads.map((s) => [actionsOf(s), JSON.stringify(s.Resource).includes('/drills/*')])).toEqual([
      [['s3:GetObject'], true],
    ]);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
    const anyResource = statements.filter((s) => s.Resource === '*');
    expect(anyResource.map(actionsOf)).toEqual([['config:DescribeConfigurationRecorderStatus']]);
    const put = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(put).toHaveLength(1);
    expect(JSON.stringify(put[0]?.Resource)).toMatch(/"\/findings\/\*"/);
  });
});

describe('health function alarm', () => {
  it('pages the alarm topic when a health run fails', () => {
    const fnId = Object.entries(main.findResources('AWS::Lambda::Function')).find(
      ([, r]) => r.Properties.Environment?.Variables?.SILENCE_MINUTES !== undefined,
    )?.[0];
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Period: 900,
      Threshold: 0,
      AlarmActions: [{ Ref: alarmTopicId }],
    });
  });
});

describe('digest function', () => {
  const digestFunctionId = (t: Template) => {
    const ids = Object.entries(t.findResources('AWS::Lambda::Function'))
      .filter(([, r]) => String(r.Properties.Description ?? '').includes('hourly digest'))
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    return ids[0] as string;
  };
  const digestStatements = (t: Template): Statement[] => {
    const fn = t.findResources('AWS::Lambda::Function')[digestFunctionId(t)];
    if (fn === undefined) throw new Error('no digest function');
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  const bucketId = () =>
    Object.entries(main.findResources('AWS::S3::Bucket')).find(([, r]) => r.Properties.ObjectLockEnabled)?.[0];
  const objectsUnder = (prefix: string) => ({
    'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, `/${prefix}*`]],
  });
  const signingKeyId = () => logicalIdOf(euStacks.main.pipeline.evidence.signingKey);
  const digestRoleId = () => logicalIdOf(euStacks.main.pipeline.digestFunction.role as unknown as IConstruct);
  const signingKeyPolicy = (t: Template = main): Statement[] => {
    const key = t.findResources('AWS::KMS::Key')[signingKeyId()];
    return (key?.Properties.KeyPolicy as { Statement: Statement[] } | undefined)?.Statement ?? [];
  };
  const bySid = (statements: readonly Statement[], sid: string) =>
    statements.find((s) => (s as Statement & { Sid?: string }).Sid === sid);

  it('signs with an ECC_NIST_P256 SIGN_VERIFY key that is retained and waits 30 days before deletion', () => {
    const key = main.findResources('AWS::KMS::Key')[signingKeyId()];
    expect(key?.DeletionPolicy).toBe('Retain');
    expect(key?.Properties).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      PendingWindowInDays: 30,
    });
  });

  it('lets only the digest role sign (ECDSA_SHA_256 over a digest), and nobody sign through a grant', () => {
    const statements = signingKeyPolicy();
    const roleArn = { 'Fn::GetAtt': [digestRoleId(), 'Arn'] };
    expect(bySid(statements, 'DigestFunctionSigns')).toEqual({
      Sid: 'DigestFunctionSigns',
      Effect: 'Allow',
      Principal: { AWS: roleArn },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } },
    });
    expect(bySid(statements, 'DenySignExceptDigestFunction')).toEqual({
      Sid: 'DenySignExceptDigestFunction',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:CreateGrant', 'kms:Sign'],
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn } },
    });
    // No Allow anywhere else gives Sign, a grant, or kms:* (CDK's default key policy would).
    const allowed = statements.filter((s) => s.Effect === 'Allow' && bySid([s], 'DigestFunctionSigns') === undefined);
    expect(allowed.flatMap(actionsOf).filter((a) => /^kms:(Sign|CreateGrant|\*|Create\*)$/.test(a))).toEqual([]);
  });

  it("lets the account's principals read the public key as IAM allows", () => {
    expect(bySid(signingKeyPolicy(), 'ReadPublicKey')).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: ['kms:DescribeKey', 'kms:GetPublicKey'],
    });
  });

  it('denies disabling or deleting the key to all but break-glass roles, and its policy to all but them and the deploy role', () => {
    const deployRole = 'arn:aws:iam::111122223333:role/cdk-*-cfn-exec-role-*';
    expect(bySid(signingKeyPolicy(), 'GuardKeyLifecycle')).toEqual({
      Sid: 'GuardKeyLifecycle',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
      Resource: '*',
    });
    expect(bySid(signingKeyPolicy(), 'GuardKeyPolicy')).toEqual({
      Sid: 'GuardKeyPolicy',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:PutKeyPolicy',
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployRole] } },
    });
  });

  it('makes the evidence bucket append-only: no deletes by anyone, and only conditional puts on every write-once prefix', () => {
    const policy = Object.values(main.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId() }),
    );
    const statements = (policy?.Properties.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [];
    expect(bySid(statements, 'DenyEvidenceDeletion')).toEqual({
      Sid: 'DenyEvidenceDeletion',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: objectsUnder(''),
    });
    expect(bySid(statements, 'DenyEvidenceOverwrite')).toEqual({
      Sid: 'DenyEvidenceOverwrite',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: ['digests/', 'drills/', 'findings/', 'incidents/', 'keys/', 'reviews/', 'triage/'].map(objectsUnder),
      Condition: { Null: { 's3:if-none-match': 'true' } },
    });
  });

  it('still expires evidence after retention by lifecycle (which no bucket policy stops)', () => {
    const bucket = main.findResources('AWS::S3::Bucket')[bucketId() ?? ''];
    expect(bucket?.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'expire-after-retention',
          Status: 'Enabled',
          ExpirationInDays: 365,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
        { Id: 'remove-expired-delete-markers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
      ],
    });
    const { main: t } = synth(loadConfig({ retentionDays: 2555 }));
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 2555 })]) },
    });
  });

  it('runs nodejs24.x on arm64 with the evidence bucket', () => {
    const fn = main.findResources('AWS::Lambda::Function')[digestFunctionId(main)];
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: expect.objectContaining({
          EVIDENCE_BUCKET: { Ref: bucketId() },
          DIGEST_SIGNING_KEY_ARN: { 'Fn::GetAtt': [signingKeyId(), 'Arn'] },
        }),
      },
    });
  });

  it('runs every hour, five minutes past', () => {
    const id = digestFunctionId(main);
    main.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(5 * * * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } })],
    });
  });

  it('lists and reads every evidence prefix and digests/, writes under digests/ and keys/ only, and may delete nothing', () => {
    const statements = digestStatements(main);
    const s3Statements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const read = ['digests/', 'drills/', 'findings/', 'incidents/', 'reviews/', 'triage/'];
    expect(s3Statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [bucketId(), 'Arn'] },
        // Conditions keep their order; minimizePolicies sorts resources.
        Condition: {
          StringLike: {
            's3:prefix': ['findings/', 'incidents/', 'triage/', 'reviews/', 'drills/', 'digests/'].map((p) => `${p}*`),
          },
        },
      },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: read.map(objectsUnder) },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: [objectsUnder('digests/'), objectsUnder('keys/')] },
    ]);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /Delete|Retention|LegalHold|PutBucket|Bypass/.test(a))).toEqual([]);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*') || a.endsWith('*'))).toEqual([]);
    expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
    const kms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kms.map((s) => [actionsOf(s).sort(), s.Resource])).toEqual([
      [
        ['kms:Decrypt', 'kms:GenerateDataKey'],
        { 'Fn::GetAtt': [logicalIdOf(euStacks.main.pipeline.storageKey), 'Arn'] },
      ],
      // Sign comes from the key policy, which names this role; IAM adds only the public key read.
      [['kms:GetPublicKey'], { 'Fn::GetAtt': [signingKeyId(), 'Arn'] }],
    ]);
    expect(actions.filter((a) => /^(dynamodb|sns|sqs):/.test(a))).toEqual([]);
  });

  it('pages the alarm topic when a run fails, and shows on the dashboard', () => {
    const fnId = digestFunctionId(main);
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Period: 3600,
      Threshold: 0,
      AlarmActions: [{ Ref: alarmTopicId }],
    });
    const alarm = euStacks.main.pipeline.alarms.find((a) => a.node.id === 'DigestErrors');
    expect(alarm).toBeDefined();
    const body = JSON.stringify(Object.values(main.findResources('AWS::CloudWatch::Dashboard'))[0]);
    expect(body).toContain(logicalIdOf(alarm as unknown as IConstruct));
  });
});

describe('evidence part: break-glass roles on the signing key', () => {
  it('exempts only the roles given from the lifecycle and policy guards', async () => {
    const { Evidence } = await import('../../infra/constructs/evidence.ts');
    const kms = await import('aws-cdk-lib/aws-kms');
    const stack = new Stack(fastApp(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    // As the pipeline sets it: access logs under a bucket policy, never an ACL.
    stack.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const breakGlass = 'arn:aws:iam::111122223333:role/break-glass';
    const part = new Evidence(stack, 'Evidence', {
      retentionDays: 365,
      accessLogRetentionDays: 365,
      storageKey: new kms.Key(stack, 'Storage'),
      projectRoot: join(import.meta.dirname, '../..'),
      breakGlassRoleArns: [breakGlass],
    });
    const key = Template.fromStack(stack).findResources('AWS::KMS::Key')[logicalIdOf(part.signingKey)];
    const statements =
      (key?.Properties.KeyPolicy as { Statement: (Statement & { Sid?: string })[] } | undefined)?.Statement ?? [];
    expect(statements.find((s) => s.Sid === 'GuardKeyLifecycle')?.Condition).toEqual({
      ArnNotLike: { 'aws:PrincipalArn': [breakGlass] },
    });
    expect(statements.find((s) => s.Sid === 'GuardKeyPolicy')?.Condition).toEqual({
      ArnNotLike: {
        'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/cdk-*-cfn-exec-role-*', breakGlass],
      },
    });
  });
});
