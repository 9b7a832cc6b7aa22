import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import type { TrailwardenConfig } from '../../infra/config.ts';
import { loadConfig } from '../../infra/config.ts';
import { KEY_ADMIN_ACTIONS, KEY_USE_ACTIONS, PROTECTED_KEY_ACTIONS } from '../../infra/constructs/keys.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const selectors: EventSelector[] = [
  ...RULES.map((r) => r.on),
  { source: 'iam', eventNames: ['CreateUser'] },
  { source: 'signin', eventNames: ['ConsoleLogin'] },
];
const BREAK_GLASS = 'arn:aws:iam::111122223333:role/trailwarden-break-glass';
const base = {
  homeRegion: 'eu-west-1',
  account: '111122223333',
  alerts: { emails: ['secops@example.com'], https: [{ url: 'https://hooks.example.com/trailwarden' }] },
};
const synth = (config: TrailwardenConfig) => {
  const stacks = buildTrailwarden(fastApp(), config, selectors, { nag: false });
  if (stacks.forwarder === undefined) throw new Error('no forwarder stack');
  return { main: Template.fromStack(stacks.main), forwarder: Template.fromStack(stacks.forwarder) };
};
const withBreakGlass = synth(loadConfig({ ...base, breakGlassRoleArn: BREAK_GLASS }));
const withoutBreakGlass = synth(loadConfig(base));

type Statement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
// Region and account known: partitions are literals (@aws-cdk/core:enablePartitionLiterals).
const ROOT = { AWS: 'arn:aws:iam::111122223333:root' };
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const keyStatements = (t: Template, idPart: string): Statement[] => {
  const keys = Object.entries(t.findResources('AWS::KMS::Key')).filter(([id]) => id.includes(idPart));
  expect(keys).toHaveLength(1);
  const [key] = keys;
  if (key === undefined) throw new Error(`no key ${idPart}`);
  return (key[1].Properties.KeyPolicy as { Statement: Statement[] }).Statement;
};
/** IAM's wildcard match of an action pattern (`kms:GenerateDataKey*`) against an action, case-insensitively. */
const covers = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`, 'i').test(action);

/**
 * What a key policy decides for one principal and action, given that the principal's own IAM policy allows it:
 * an explicit Deny wins (this evaluator knows the one condition Trailwarden's Deny uses), else an Allow to the
 * account root delegates to IAM. Service principals are not modelled.
 */
const keyPolicyAllows = (statements: readonly Statement[], principalArn: string, action: string): boolean => {
  const applies = (s: Statement) => {
    if (!actionsOf(s).some((p) => covers(p, action))) return false;
    if (s.Condition === undefined) return true;
    const keys = Object.keys(s.Condition);
    if (keys.length !== 1 || keys[0] !== 'ArnNotEquals') throw new Error(`unmodelled condition ${keys.join(',')}`);
    const exempt = s.Condition.ArnNotEquals?.['aws:PrincipalArn'];
    return (Array.isArray(exempt) ? exempt : [exempt]).every((arn) => arn !== principalArn);
  };
  const iamPrincipal = (s: Statement) => JSON.stringify(s.Principal) === JSON.stringify(ROOT);
  const anyone = (s: Statement) => JSON.stringify(s.Principal) === JSON.stringify({ AWS: '*' });
  if (statements.some((s) => s.Effect === 'Deny' && anyone(s) && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && iamPrincipal(s) && applies(s));
};

const ADMIN = 'arn:aws:iam::111122223333:role/Admin';
const EVALUATE = 'arn:aws:iam::111122223333:role/Trailwarden-PipelineEvaluateRoleBBE48528-AbC';

describe('KMS key policies', () => {
  const use = {
    Sid: 'KeyUseThroughIam',
    Effect: 'Allow',
    Principal: ROOT,
    Action: [...KEY_USE_ACTIONS],
    Resource: '*',
  };
  const admin = {
    Sid: 'KeyAdministrationThroughIam',
    Effect: 'Allow',
    Principal: ROOT,
    Action: [...KEY_ADMIN_ACTIONS],
    Resource: '*',
  };
  const denyExceptBreakGlass = {
    Sid: 'ProtectedActionsBreakGlassOnly',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: [...PROTECTED_KEY_ACTIONS],
    Resource: '*',
    Condition: { ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS } },
  };
  const denyEveryone = {
    Sid: 'ProtectedActionsNobody',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: [...PROTECTED_KEY_ACTIONS],
    Resource: '*',
  };
  const cloudWatchIn = (region: string) => ({
    Sid: 'AllowCloudWatchAlarmsToTopic',
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceAccount': '111122223333' },
      ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${region}:111122223333:alarm:*` },
    },
  });
  const cloudWatch = cloudWatchIn('eu-west-1');
  // The drill-only subscription: SNS delivers drill pages to a queue encrypted with this key (issue 17).
  const snsToDrillQueue = {
    Sid: 'AllowSnsToDrillQueue',
    Effect: 'Allow',
    Principal: { Service: 'sns.amazonaws.com' },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: '*',
    Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
  };
  const eventBridge = {
    Sid: 'AllowEventBridgeToQueue',
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: '*',
    Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
  };

  it('storage key: use and administration delegated to IAM apart, protected actions for the break-glass role only', () => {
    expect(keyStatements(withBreakGlass.main, 'StorageKey')).toEqual([use, admin, denyExceptBreakGlass]);
  });

  it('messaging key: the same, plus SNS to the drill queue, EventBridge (this account) and CloudWatch alarms (this account, alarms only)', () => {
    expect(keyStatements(withBreakGlass.main, 'MessagingKey')).toEqual([
      use,
      admin,
      denyExceptBreakGlass,
      snsToDrillQueue,
      eventBridge,
      cloudWatch,
    ]);
  });

  it('denies the protected actions to everyone when no break-glass role is configured', () => {
    expect(keyStatements(withoutBreakGlass.main, 'StorageKey')).toEqual([use, admin, denyEveryone]);
    expect(keyStatements(withoutBreakGlass.forwarder, 'AlarmKey')).toEqual([
      use,
      admin,
      denyEveryone,
      cloudWatchIn('us-east-1'),
    ]);
  });

  it('never grants kms:* and keeps cryptographic use out of administration and the reverse', () => {
    const all = [withBreakGlass, withoutBreakGlass].flatMap(({ main, forwarder }) =>
      [main, forwarder].flatMap((t) =>
        Object.values(t.findResources('AWS::KMS::Key')).flatMap(
          (k) => (k.Properties.KeyPolicy as { Statement: Statement[] }).Statement,
        ),
      ),
    );
    expect(all.filter((s) => actionsOf(s).some((a) => a === 'kms:*' || a === '*'))).toEqual([]);
    const crypto = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:Sign'];
    for (const a of KEY_ADMIN_ACTIONS) for (const c of crypto) expect(covers(a, c), `${a} covers ${c}`).toBe(false);
    for (const u of KEY_USE_ACTIONS) {
      for (const p of PROTECTED_KEY_ACTIONS) expect(covers(u, p), `${u} covers ${p}`).toBe(false);
    }
    for (const p of PROTECTED_KEY_ACTIONS)
      expect(
        KEY_ADMIN_ACTIONS.some((a) => covers(a, p)),
        p,
      ).toBe(true);
  });

  it.each([
    'kms:ScheduleKeyDeletion',
    'kms:DisableKey',
    'kms:PutKeyPolicy',
    'kms:DisableKeyRotation',
    'kms:RevokeGrant',
  ])('%s: only the break-glass role, and nobody without one', (action) => {
    for (const t of [withBreakGlass.main, withBreakGlass.forwarder]) {
      for (const id of ['StorageKey', 'MessagingKey', 'AlarmKey']) {
        const keys = Object.keys(t.findResources('AWS::KMS::Key')).filter((k) => k.includes(id));
        if (keys.length === 0) continue;
        const statements = keyStatements(t, id);
        expect(keyPolicyAllows(statements, BREAK_GLASS, action), `${id} break-glass`).toBe(true);
        expect(keyPolicyAllows(statements, ADMIN, action), `${id} admin`).toBe(false);
        expect(keyPolicyAllows(statements, 'arn:aws:iam::111122223333:root', action), `${id} root`).toBe(false);
        expect(keyPolicyAllows(statements, EVALUATE, action), `${id} evaluate`).toBe(false);
      }
    }
    expect(keyPolicyAllows(keyStatements(withoutBreakGlass.main, 'StorageKey'), BREAK_GLASS, action)).toBe(false);
  });

  it('still lets IAM delegate administration that is not protected (describe, tag, enable rotation, grants)', () => {
    const statements = keyStatements(withBreakGlass.main, 'StorageKey');
    for (const action of ['kms:DescribeKey', 'kms:EnableKeyRotation', 'kms:TagResource', 'kms:CreateGrant']) {
      expect(keyPolicyAllows(statements, ADMIN, action), action).toBe(true);
    }
  });

  /** Every KMS action a function role's own policy grants on a key must be one the key policy delegates to IAM. */
  it("lets IAM delegate every KMS action the functions' roles are granted", () => {
    const { main } = withBreakGlass;
    const keyIds = Object.keys(main.findResources('AWS::KMS::Key'));
    const granted = Object.values(main.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((s) =>
        actionsOf(s).some((a) => a.startsWith('kms:')),
      ),
    );
    expect(granted.length).toBeGreaterThanOrEqual(4);
    for (const s of granted) {
      const resources = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]) as { 'Fn::GetAtt': string[] }[];
      for (const r of resources) {
        const keyId = r['Fn::GetAtt']?.[0] ?? '';
        expect(keyIds).toContain(keyId);
        const statements = keyStatements(main, keyId);
        for (const pattern of actionsOf(s)) {
          // A wildcard grant (GenerateDataKey*) is usable as far as its concrete actions are delegated.
          const concrete = pattern.replace('*', '');
          expect(keyPolicyAllows(statements, EVALUATE, concrete), `${keyId} ${pattern}`).toBe(true);
        }
      }
    }
  });

  it('bypasses the lockout safety check on purpose (the policy denies PutKeyPolicy to CloudFormation too)', () => {
    for (const t of [withBreakGlass.main, withBreakGlass.forwarder]) {
      // The digest signing key keeps PutKeyPolicy for the deploy role (its own guard, tested with the digest function).
      const keys = Object.values(t.findResources('AWS::KMS::Key')).filter(
        (k) => k.Properties.KeyUsage !== 'SIGN_VERIFY',
      );
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.Properties.BypassPolicyLockoutSafetyCheck).toBe(true);
        expect(key.Properties.EnableKeyRotation).toBe(true);
        expect(key.DeletionPolicy).toBe('Retain');
      }
    }
  });
});

const topicStatements = (t: Template, idPart: string): Statement[] => {
  const topics = Object.keys(t.findResources('AWS::SNS::Topic')).filter((id) => id.includes(idPart));
  expect(topics).toHaveLength(1);
  return Object.values(t.findResources('AWS::SNS::TopicPolicy'))
    .filter((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topics[0] }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};
/** The role of the one function whose environment has every one of `variables`. */
const roleOf = (t: Template, ...variables: string[]): string => {
  const fns = Object.values(t.findResources('AWS::Lambda::Function')).filter((f) =>
    variables.every((v) => f.Properties.Environment?.Variables?.[v] !== undefined),
  );
  expect(fns).toHaveLength(1);
  const [fn] = fns;
  if (fn === undefined) throw new Error(`no function with ${variables.join(', ')}`);
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
};

describe('findings topic', () => {
  const { main } = withBreakGlass;
  const topicId = Object.keys(main.findResources('AWS::SNS::Topic')).find((id) => id.includes('Findings')) ?? '';

  it("denies sns:Publish to every IAM principal but the evaluate, health and elevated-access functions' roles", () => {
    const deny = topicStatements(main, 'Findings').filter(
      (s) => s.Effect === 'Deny' && s.Sid !== 'AllowPublishThroughSSLOnly',
    );
    expect(deny).toEqual([
      {
        Sid: 'OnlyTrailwardenPublishesFindings',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              { 'Fn::GetAtt': [roleOf(main, 'DETECTION_CONFIG', 'TABLE_NAME'), 'Arn'] },
              { 'Fn::GetAtt': [roleOf(main, 'SILENCE_MINUTES'), 'Arn'] },
              { 'Fn::GetAtt': [roleOf(main, 'GRACE_MINUTES'), 'Arn'] },
            ],
          },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      },
    ]);
    expect(topicStatements(main, 'Findings').filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('lets exactly those roles publish through their own policies', () => {
    const publishers = Object.values(main.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some(
          (s) =>
            actionsOf(s).includes('sns:Publish') && JSON.stringify(s.Resource) === JSON.stringify({ Ref: topicId }),
        ),
      )
      .flatMap((p) => (p.Properties.Roles as { Ref: string }[]).map((r) => r.Ref))
      .sort();
    expect(publishers).toEqual(
      [
        roleOf(main, 'DETECTION_CONFIG', 'TABLE_NAME'),
        roleOf(main, 'SILENCE_MINUTES'),
        roleOf(main, 'GRACE_MINUTES'),
      ].sort(),
    );
  });
});

describe('alarm topics', () => {
  const alarmsArn = (region: string) => `arn:aws:cloudwatch:${region}:111122223333:alarm:*`;
  it.each([
    ['home', withBreakGlass.main, 'PipelineAlarmTopic', 'eu-west-1'],
    ['forwarder', withBreakGlass.forwarder, 'AlarmTopic', 'us-east-1'],
  ])('%s: CloudWatch alarms of this account and region publish, no IAM principal does', (_n, t, id, region) => {
    const topicId = Object.keys(t.findResources('AWS::SNS::Topic')).find((k) => k.includes(id)) ?? '';
    expect(topicStatements(t, id).filter((s) => s.Sid !== 'AllowPublishThroughSSLOnly')).toEqual([
      {
        Sid: 'AllowCloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnLike: { 'aws:SourceArn': alarmsArn(region) },
        },
      },
      {
        Sid: 'OnlyAlarmsPublish',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
      },
    ]);
  });
});

describe('forwarder stack', () => {
  const { forwarder } = withBreakGlass;
  const rules = Object.entries(forwarder.findResources('AWS::Events::Rule'));

  it("trusts EventBridge only for this account's forwarding rules, named so the trust can list them", () => {
    const names = rules.map(([, r]) => r.Properties.Name as string).sort();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^TrailwardenForwarder-cloudtrail-/);
    const [role] = Object.values(forwarder.findResources('AWS::IAM::Role'));
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnEquals: {
            'aws:SourceArn': rules.map(([, r]) => `arn:aws:events:us-east-1:111122223333:rule/${r.Properties.Name}`),
          },
        },
      },
    ]);
  });

  it('pages its own alarm topic, with every configured endpoint, when a forward lands in the DLQ', () => {
    const dlq = Object.keys(forwarder.findResources('AWS::SQS::Queue'));
    const topic = Object.keys(forwarder.findResources('AWS::SNS::Topic'));
    expect(dlq).toHaveLength(1);
    expect(topic).toHaveLength(1);
    forwarder.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq[0], 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic[0] }],
    });
    const subscriptions = Object.values(forwarder.findResources('AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subscriptions.map((s) => `${s.Protocol} ${s.Endpoint}`).sort()).toEqual([
      'email secops@example.com',
      'https https://hooks.example.com/trailwarden',
    ]);
    for (const s of subscriptions) expect(s.FilterPolicy).toBeUndefined();
    forwarder.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Object.keys(forwarder.findResources('AWS::KMS::Key'))[0], 'Arn'] },
    });
  });
});
