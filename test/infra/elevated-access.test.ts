import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig, parseConfig } from '../../infra/config.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
const synth = (extra: Record<string, unknown> = {}) => {
  const app = fastApp();
  const { main } = buildTrailwarden(
    app,
    loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', ...extra }),
    RULES.map((r) => r.on),
    { nag: false },
  );
  return Template.fromStack(main);
};

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const roleStatements = (t: Template, description: string): Statement[] => {
  const roles = t.findResources('AWS::IAM::Role', { Properties: { Description: description } });
  const [roleId] = Object.keys(roles);
  const policies = Object.values(t.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
  }[];
  return policies
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
};

describe('elevated-access infra', () => {
  it('runs every 30 minutes by default, with the grace and the temporaryAccess list in its environment', () => {
    const entry = { principal: ALICE, expires: '2026-12-08', reason: 'DR exercise CHG-9' };
    const t = synth({ detection: { temporaryAccess: [entry] } });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(30 minutes)',
      Description: 'Trailwarden: checks temporary admin access (rate(30 minutes))',
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          GRACE_MINUTES: '15',
          ACCOUNT_ID: '111122223333',
          TEMPORARY_ACCESS: JSON.stringify([entry]),
        }),
      },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('elevated-access check failed'),
    });
  });

  it('takes schedule and grace from config', () => {
    const t = synth({ elevatedAccess: { schedule: 'rate(1 hour)', graceMinutes: 60 } });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GRACE_MINUTES: '60' }) },
    });
  });

  it('is told the drill key (it verifies signed drill observations) and named in a stack output for drill --invoke', () => {
    const t = synth();
    const [secretId] = Object.keys(
      t.findResources('AWS::SecretsManager::Secret', { Properties: { Name: 'Trailwarden-drill-key' } }),
    );
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GRACE_MINUTES: '15', DRILL_KEY_SECRET_ARN: { Ref: secretId } }) },
    });
    const reads = roleStatements(t, 'Trailwarden elevatedaccess function').filter((s) =>
      [s.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(reads.map((s) => [s.Action, s.Resource])).toEqual([['secretsmanager:GetSecretValue', { Ref: secretId }]]);
    const outputs = t.findOutputs('ElevatedAccessFunctionName');
    expect(Object.keys(outputs)).toEqual(['ElevatedAccessFunctionName']);
    expect(
      Object.keys(synth({ elevatedAccess: { enabled: false } }).findOutputs('ElevatedAccessFunctionName')),
    ).toEqual([]);
  });

  it('is not deployed when disabled', () => {
    const t = synth({ elevatedAccess: { enabled: false } });
    expect(
      Object.keys(
        t.findResources('AWS::Lambda::Function', {
          Properties: { Environment: { Variables: { GRACE_MINUTES: Match.anyValue() } } },
        }),
      ),
    ).toEqual([]);
  });

  it('grants exactly the read-only IAM actions, scoped to this account, and no IAM write', () => {
    const all = roleStatements(synth(), 'Trailwarden elevatedaccess function');
    const iamStatements = all.filter((s) => [s.Action].flat().some((a) => a.startsWith('iam:')));
    expect(iamStatements.map((s) => [[s.Action].flat().sort(), s.Resource])).toEqual([
      [['iam:ListRoles', 'iam:ListUsers'], '*'],
      [
        [
          'iam:GetUserPolicy',
          'iam:ListAttachedUserPolicies',
          'iam:ListGroupsForUser',
          'iam:ListUserPolicies',
          'iam:ListUserTags',
        ],
        'arn:aws:iam::111122223333:user/*',
      ],
      [
        ['iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:ListRoleTags'],
        'arn:aws:iam::111122223333:role/*',
      ],
      [
        ['iam:GetGroupPolicy', 'iam:ListAttachedGroupPolicies', 'iam:ListGroupPolicies'],
        'arn:aws:iam::111122223333:group/*',
      ],
      [
        ['iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyTags'],
        ['arn:aws:iam::111122223333:policy/*', 'arn:aws:iam::aws:policy/*'],
      ],
    ]);
    const s3 = all.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(new Set(s3.flatMap((s) => [s.Action].flat()))).toEqual(new Set(['s3:PutObject']));
    for (const prefix of ['/findings/*', '/incidents/*', '/triage/*']) expect(JSON.stringify(s3)).toContain(prefix);
  });

  it.each([
    [{ schedule: 'rate(1 minute)' }, 'elevatedAccess.schedule: must be rate(N minutes|hours|days) with N minutes >= 5'],
    [{ graceMinutes: -1 }, 'elevatedAccess.graceMinutes: must be a whole number of minutes from 0 to 1440 (got -1)'],
    [{ enabled: 'yes' }, 'elevatedAccess.enabled: must be true or false (got "yes")'],
    [{ every: 5 }, 'elevatedAccess.every: unknown key (known keys: enabled, schedule, graceMinutes)'],
  ])('refuses %j', (elevatedAccess, error) => {
    const parsed = parseConfig({ elevatedAccess });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.some((e) => e.startsWith(error))).toBe(true);
  });
});
