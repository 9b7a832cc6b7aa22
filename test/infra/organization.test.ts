import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig } from '../../infra/config.ts';
import { synthMemberTemplate } from '../../infra/constructs/organization.ts';
import type { EventPatternJson } from '../../infra/event-patterns.ts';
import { matchesPattern, packedForForwarding, patternsFor } from '../../infra/event-patterns.ts';
import {
  HEALTH_READER_ROLE_NAME,
  MAX_STACK_SET_TEMPLATE_BYTES,
  MEMBER_RULE_PREFIX,
} from '../../infra/stacks/member-forwarder-stack.ts';
import { isCloudTrailSelector } from '../../rules/core/types.ts';
import { docsOf } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';
import { cloudTrailEnvelope, configEnvelope, syntheticEvents } from '../support/routing.ts';

const ORG = {
  id: 'o-a1b2c3d4e5',
  deploymentTargets: ['r-ab12', 'ou-ab12-cdefgh34'],
  regions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
};
const config = loadConfig({ homeRegion: 'eu-west-1', account: '111122223333', org: ORG });
const selectors = RULES.map((r) => r.on);

const app = fastApp();
const stacks = buildTrailwarden(app, config, selectors, { nag: false });
const main = Template.fromStack(stacks.main);
const [stackSet] = Object.values(main.findResources('AWS::CloudFormation::StackSet'));
if (stackSet === undefined) throw new Error('no StackSet');
const memberJson = JSON.parse(String(stackSet.Properties.TemplateBody)) as Record<string, unknown>;
const member = Template.fromJSON(memberJson);
const memberRules = Object.values(member.findResources('AWS::Events::Rule'));
const memberPatterns = memberRules.map((r) => r.Properties.EventPattern as EventPatternJson);
const routedByMember = (event: unknown) => memberPatterns.some((p) => matchesPattern(p, event));

describe('organisation StackSet', () => {
  it('is service-managed, deploys itself to new accounts and removes itself from leavers', () => {
    expect(stackSet.Properties).toMatchObject({
      StackSetName: 'trailwarden-member-forwarders',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: 'SELF',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      OperationPreferences: { FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25 },
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: ORG.deploymentTargets }, Regions: ORG.regions },
      ],
    });
    expect(stackSet.Properties.Parameters).toEqual([
      {
        ParameterKey: 'HealthRoleArn',
        ParameterValue: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineHealthRole/), 'Arn'] },
      },
      {
        ParameterKey: 'HomeBusArn',
        ParameterValue: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111122223333:event-bus/default']],
        },
      },
    ]);
  });

  it('takes callAs and the tolerances from the config', () => {
    const delegated = loadConfig({
      homeRegion: 'eu-west-1',
      account: '111122223333',
      org: { ...ORG, callAs: 'DELEGATED_ADMIN', failureTolerancePercentage: 0, maxConcurrentPercentage: 100 },
    });
    const t = Template.fromStack(buildTrailwarden(fastApp(), delegated, selectors, { nag: false }).main);
    t.hasResourceProperties('AWS::CloudFormation::StackSet', {
      CallAs: 'DELEGATED_ADMIN',
      OperationPreferences: { FailureTolerancePercentage: 0, MaxConcurrentPercentage: 100 },
    });
  });

  it('is not built without an org block: single account stays the default', () => {
    const single = loadConfig({ homeRegion: 'eu-west-1', account: '111122223333' });
    const t = Template.fromStack(buildTrailwarden(fastApp(), single, selectors, { nag: false }).main);
    expect(t.findResources('AWS::CloudFormation::StackSet')).toEqual({});
    expect(JSON.stringify(t.toJSON())).not.toContain('aws:PrincipalOrgID');
  });

  it('carries an inline member template under the StackSet limit, with no asset and no Lambda', () => {
    expect(Buffer.byteLength(String(stackSet.Properties.TemplateBody))).toBeLessThanOrEqual(
      MAX_STACK_SET_TEMPLATE_BYTES,
    );
    expect(member.findResources('AWS::Lambda::Function')).toEqual({});
    expect(JSON.stringify(memberJson)).not.toMatch(/cdk-bootstrap|BootstrapVersion|AssetParameters/);
  });
});

describe('packing the member forwarder patterns (StackSet TemplateBody limit)', () => {
  const home = patternsFor(selectors);
  const packed = packedForForwarding(home);

  it('packs the named per-service patterns into fewer rules, each within the pattern budget', () => {
    const named = home.filter((p) => p.id.startsWith('cloudtrail-') && !p.id.startsWith('cloudtrail-filtered-'));
    expect(named.length).toBeGreaterThan(40);
    expect(packed.length).toBeLessThan(home.length / 2);
    for (const p of packed) expect(JSON.stringify(p.pattern).length).toBeLessThanOrEqual(1800);
    expect(memberRules.length).toBe(packed.length);
  });

  it('keeps filtered and Config patterns exactly as the home bus routes them', () => {
    const kept = home.filter((p) => p.id.startsWith('cloudtrail-filtered-') || p.id.startsWith('config-'));
    expect(kept.length).toBeGreaterThan(0);
    for (const p of kept) expect(packed).toContainEqual(p);
  });

  it('forwards every event the home patterns route (a superset), and only AWS sources', () => {
    for (const rule of RULES) {
      for (const event of syntheticEvents(rule.on)) {
        if (home.some((p) => matchesPattern(p.pattern, event))) {
          expect(
            packed.some((p) => matchesPattern(p.pattern, event)),
            JSON.stringify(event),
          ).toBe(true);
        }
      }
    }
    for (const p of packed) {
      for (const source of p.pattern.source as readonly unknown[]) {
        expect(typeof source === 'string' ? source.startsWith('aws.') : JSON.stringify(source)).toBeTruthy();
      }
    }
  });

  it('never merges past the budget: with a small one, every service keeps its own rule', () => {
    const tiny = packedForForwarding(home, 300);
    const named = home.filter((p) => p.id.startsWith('cloudtrail-') && !p.id.startsWith('cloudtrail-filtered-'));
    expect(tiny.filter((p) => p.id.startsWith('cloudtrail-pack-')).length).toBeLessThan(named.length / 4);
    for (const p of tiny) {
      const original = home.find((h) => h.id === p.id);
      if (original !== undefined) expect(p).toEqual(original);
      else expect(JSON.stringify(p.pattern).length).toBeLessThanOrEqual(300);
    }
  });

  it('the member template fits the StackSet limit with room to spare', () => {
    expect(Buffer.byteLength(String(stackSet.Properties.TemplateBody))).toBeLessThan(
      MAX_STACK_SET_TEMPLATE_BYTES * 0.9,
    );
  });
});

describe('member forwarder template', () => {
  it('routes exactly the patterns generated from the catalogue, named under the forwarder prefix', () => {
    expect(memberPatterns).toEqual(packedForForwarding(patternsFor(selectors)).map((p) => p.pattern));
    for (const r of memberRules) {
      expect(r.Properties.Name).toMatch(new RegExp(`^${MEMBER_RULE_PREFIX}`));
      expect(r.Properties.Targets).toEqual([
        expect.objectContaining({ Arn: { Ref: 'HomeBusArn' }, DeadLetterConfig: { Arn: expect.anything() } }),
      ]);
      expect(r.Condition).toBe('Forwards');
    }
  });

  it.each(RULES.map((r) => [r.id, r] as const))(
    '%s: every declared event and positive case is forwarded',
    async (_id, rule) => {
      for (const event of syntheticEvents(rule.on)) expect(routedByMember(event), JSON.stringify(event)).toBe(true);
      for (const c of (await docsOf(rule)).cases().filter((x) => x.expect === 'match')) {
        const on = rule.on;
        const event = isCloudTrailSelector(on)
          ? cloudTrailEnvelope(c.event as Record<string, unknown>)
          : configEnvelope(
              'resourceTypes' in on ? 'Config Configuration Item Change' : 'Config Rules Compliance Change',
              c.event,
            );
        expect(routedByMember(event), c.name).toBe(true);
      }
    },
  );

  it("forwards through a role EventBridge may assume only for this account's forwarder rules", () => {
    member.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['trailwarden-member-forwarder-', { Ref: 'AWS::Region' }]] },
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':events:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      `:rule/${MEMBER_RULE_PREFIX}*`,
                    ],
                  ],
                },
              },
            },
          },
        ],
      },
    });
    member.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'HomeBusArn' } }] },
    });
  });

  it('keeps failed deliveries in a KMS-encrypted DLQ that only the forwarder rules may write', () => {
    const [queue] = Object.entries(member.findResources('AWS::SQS::Queue'));
    const [key] = Object.keys(member.findResources('AWS::KMS::Key'));
    expect(queue?.[1].Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    member.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const [policy] = Object.values(member.findResources('AWS::SQS::QueuePolicy'));
    const allow = ((policy?.Properties.PolicyDocument.Statement ?? []) as { Effect: string }[]).filter(
      (s) => s.Effect === 'Allow',
    );
    expect(allow).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnLike: { 'aws:SourceArn': expect.anything() } },
      }),
    ]);
  });

  it('lets only the health function role, inside the organisation, assume the reader role, once per account', () => {
    member.hasResourceProperties('AWS::IAM::Role', {
      RoleName: HEALTH_READER_ROLE_NAME,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: { Ref: 'HealthRoleArn' } },
            Condition: {
              StringEquals: { 'aws:PrincipalOrgID': ORG.id },
              ArnEquals: { 'aws:PrincipalArn': { Ref: 'HealthRoleArn' } },
            },
          },
        ],
      },
    });
    const reader = Object.values(member.findResources('AWS::IAM::Role')).find(
      (r) => r.Properties.RoleName === HEALTH_READER_ROLE_NAME,
    );
    expect(reader?.Condition).toBe('HealthReaderHere');
    member.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'config:DescribeConfigurationRecorderStatus', Resource: '*' }],
      },
    });
  });

  it("skips the pipeline account's home region and us-east-1, which the pipeline and its forwarder cover", () => {
    expect(memberJson.Conditions).toEqual({
      Forwards: {
        'Fn::Not': [
          {
            'Fn::And': [
              { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '111122223333'] },
              {
                'Fn::Or': [
                  { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
                  { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
                ],
              },
            ],
          },
        ],
      },
      HealthReaderHere: {
        'Fn::And': [
          { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
          { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '111122223333'] }] },
        ],
      },
    });
    // Every resource is under one of the two conditions.
    const resources = Object.values(memberJson.Resources as Record<string, { Condition?: string }>);
    expect(resources.filter((r) => r.Condition === undefined)).toEqual([]);
  });
});

describe('home bus policy', () => {
  it('accepts PutEvents only from the member forwarder roles of this organisation', () => {
    main.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      StatementId: 'trailwarden-org-forwarders',
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': ORG.id },
          ArnLike: {
            'aws:PrincipalArn': ORG.regions.map((r) => ({
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::*:role/trailwarden-member-forwarder-${r}`]],
            })),
          },
        },
      },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding on the main stack with an organisation', () => {
    const nagApp = fastApp();
    buildTrailwarden(nagApp, config, selectors, { nag: false });
    const report = new AwsSolutionsChecks().validateScope(nagApp);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });

  it('finds nothing on the member template (checked before it is serialized: the same body)', () => {
    const options = {
      selectors,
      org: config.org ?? (undefined as never),
      homeAccount: '111122223333',
      homeRegion: 'eu-west-1',
      homeHasUsEast1Forwarder: true,
    };
    expect(synthMemberTemplate(options).body).toBe(String(stackSet.Properties.TemplateBody));
  });
});
