import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aws, CfnStackSet, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import type { EventSelector } from '../../rules/core/types.ts';
import type { OrgConfig } from '../config.ts';
import {
  HEALTH_READER_ROLE_NAME,
  HEALTH_ROLE_PARAMETER,
  HOME_BUS_PARAMETER,
  MAX_STACK_SET_TEMPLATE_BYTES,
  MEMBER_STACK_SET_NAME,
  MemberForwarderStack,
  memberForwarderRoleName,
} from '../stacks/member-forwarder-stack.ts';
import { StatementEventBusPolicy } from './statement-event-bus-policy.ts';

export interface MemberTemplateOptions {
  readonly selectors: readonly EventSelector[];
  readonly org: OrgConfig;
  readonly homeAccount: string;
  readonly homeRegion: string;
  readonly homeHasUsEast1Forwarder: boolean;
  /** Run cdk-nag's AwsSolutions pack on the member stack; a finding fails the synth (default true). */
  readonly nag?: boolean;
  /** Feature flags for the member app (the main app's context, so both are built alike). */
  readonly context?: Record<string, unknown>;
}

/**
 * The member template as the StackSet deploys it: the member stack, synthesized in an App of its own (so it is
 * neither deployed by `cdk deploy` nor written into cdk.out), checked by cdk-nag before it is serialized.
 */
export const synthMemberTemplate = (
  options: MemberTemplateOptions,
): { readonly template: Record<string, unknown>; readonly body: string } => {
  const outdir = mkdtempSync(join(tmpdir(), 'trailwarden-member-'));
  try {
    const app = new App({ outdir, context: options.context ?? {}, builtinCloudFormationValidation: false });
    const stack = new MemberForwarderStack(app, 'TrailwardenMember', {
      selectors: options.selectors,
      homeAccount: options.homeAccount,
      homeRegion: options.homeRegion,
      orgId: options.org.id,
      homeHasUsEast1Forwarder: options.homeHasUsEast1Forwarder,
    });
    if (options.nag ?? true) {
      const report = new AwsSolutionsChecks().validateScope(app);
      const findings = report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      if (findings.length > 0) {
        throw new Error(`member forwarder template: cdk-nag AwsSolutions findings:\n  ${findings.join('\n  ')}`);
      }
    }
    const artifact = app.synth().getStackByName(stack.stackName);
    const template = JSON.parse(readFileSync(join(outdir, artifact.templateFile), 'utf8')) as Record<string, unknown>;
    const body = JSON.stringify(template);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_STACK_SET_TEMPLATE_BYTES) {
      throw new Error(
        `member forwarder template is ${bytes} bytes; a StackSet TemplateBody holds at most ${MAX_STACK_SET_TEMPLATE_BYTES}`,
      );
    }
    return { template, body };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};

export interface OrganizationProps {
  readonly org: OrgConfig;
  readonly selectors: readonly EventSelector[];
  readonly homeAccount: string;
  readonly homeRegion: string;
  readonly homeHasUsEast1Forwarder: boolean;
  readonly healthFunction: LambdaFunction;
  readonly evaluateFunction: LambdaFunction;
  readonly nag?: boolean;
}

/**
 * Organisation-wide deployment (issue #13): the service-managed StackSet that puts the member forwarder in every
 * account and region of the targets, the home bus's permission for exactly those forwarders, and the reads the
 * evaluate function (account tags) and the health function (accounts, member recorders) need.
 */
export class Organization extends Construct {
  readonly stackSet: CfnStackSet;
  readonly memberTemplate: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: OrganizationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { org } = props;
    const healthRole = props.healthFunction.role;
    const evaluateRole = props.evaluateFunction.role;
    if (healthRole === undefined || evaluateRole === undefined) throw new Error('functions without roles');

    const member = synthMemberTemplate({
      selectors: props.selectors,
      org,
      homeAccount: props.homeAccount,
      homeRegion: props.homeRegion,
      homeHasUsEast1Forwarder: props.homeHasUsEast1Forwarder,
      context: stack.node.getAllContext() as Record<string, unknown>,
      ...(props.nag === undefined ? {} : { nag: props.nag }),
    });
    this.memberTemplate = member.template;

    const homeBusArn = `arn:${Aws.PARTITION}:events:${stack.region}:${stack.account}:event-bus/default`;
    this.stackSet = new CfnStackSet(this, 'MemberForwarders', {
      stackSetName: MEMBER_STACK_SET_NAME,
      description: 'Trailwarden: member forwarders (EventBridge → home bus) and the health reader role',
      permissionModel: 'SERVICE_MANAGED',
      // New accounts in the targets get the forwarder; an account that leaves loses it.
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs: org.callAs,
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        failureTolerancePercentage: org.failureTolerancePercentage,
        maxConcurrentPercentage: org.maxConcurrentPercentage,
        regionConcurrencyType: 'PARALLEL',
      },
      parameters: [
        { parameterKey: HEALTH_ROLE_PARAMETER, parameterValue: healthRole.roleArn },
        { parameterKey: HOME_BUS_PARAMETER, parameterValue: homeBusArn },
      ],
      stackInstancesGroup: [
        { deploymentTargets: { organizationalUnitIds: [...org.deploymentTargets] }, regions: [...org.regions] },
      ],
      templateBody: member.body,
    });

    // Only the organisation's member forwarder roles: a principal of another organisation, or any other role in
    // a member account, cannot put events on the home bus.
    new StatementEventBusPolicy(this, 'AcceptMemberForwarders', {
      eventBusName: 'default',
      statementId: 'trailwarden-org-forwarders',
      statement: {
        Sid: 'trailwarden-org-forwarders',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: homeBusArn,
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': org.id },
          ArnLike: {
            'aws:PrincipalArn': org.regions.map(
              (r) => `arn:${Aws.PARTITION}:iam::*:role/${memberForwarderRoleName(r)}`,
            ),
          },
        },
      },
    });

    const inOrg = { StringEquals: { 'aws:ResourceOrgID': org.id } };
    // Organizations: read-only calls; the API has resource ARNs only for accounts, OUs and roots (no tag keys).
    healthRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'organizations:ListAccounts',
          'organizations:ListAccountsForParent',
          'organizations:ListOrganizationalUnitsForParent',
        ],
        resources: ['*'],
      }),
    );
    healthRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [`arn:${Aws.PARTITION}:iam::*:role/${HEALTH_READER_ROLE_NAME}`],
        conditions: inOrg,
      }),
    );
    // Trail discovery (no trails configured): DescribeTrails has no resource-level permission.
    evaluateRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['organizations:ListTagsForResource'],
        resources: [`arn:${Aws.PARTITION}:organizations::*:account/${org.id}/*`],
      }),
    );
    props.healthFunction.addEnvironment('ORG', JSON.stringify(orgHealthEnv(org)));
    props.evaluateFunction.addEnvironment(
      'ORG_TAGS',
      JSON.stringify({ orgId: org.id, cacheMinutes: org.tagCacheMinutes }),
    );
    for (const role of [healthRole, evaluateRole]) {
      const policy = role.node.tryFindChild('DefaultPolicy');
      if (policy === undefined) continue;
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Organizations List* calls support no resource-level permissions; DescribeTrails and Config reads neither (AWS service authorization reference). All read-only.',
      });
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${HEALTH_READER_ROLE_NAME}]`,
        reason:
          'The reader role has one fixed name in every member account, which the StackSet creates; aws:ResourceOrgID limits it to this organisation.',
      });
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::*:account/${org.id}/*]`,
        reason: 'Tags of every account of this organisation (the management account id is not known at synth).',
      });
    }
  }
}

/** What the health function needs to know of the organisation (env `ORG`). */
export const orgHealthEnv = (org: OrgConfig) => ({
  orgId: org.id,
  targets: org.deploymentTargets,
  regions: org.regions,
  graceMinutes: org.newAccountGraceMinutes,
  readerRoleName: HEALTH_READER_ROLE_NAME,
  partition: Aws.PARTITION,
});
