import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { TemporaryAccessEntry } from '../../rules/core/elevated-access.ts';
import { TRIAGE_PREFIX } from '../../rules/core/triage.ts';
import type { ElevatedAccessConfig } from '../elevated-access-config.ts';
import type { Alerting } from './alerting.ts';
import { acknowledgeFindingsWriter, STATE_TABLE_ACTIONS } from './detection.ts';
import type { Evidence } from './evidence.ts';
import { PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

/** The IAM reads the check makes (functions/shared/adapters/iam-reader.ts), by the resource type they act on. */
export const ELEVATED_ACCESS_IAM_ACTIONS = {
  /** Account-wide listings: no single user or role to name. */
  listing: ['iam:ListRoles', 'iam:ListUsers'],
  user: [
    'iam:GetUserPolicy',
    'iam:ListAttachedUserPolicies',
    'iam:ListGroupsForUser',
    'iam:ListUserPolicies',
    'iam:ListUserTags',
  ],
  role: ['iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:ListRoleTags'],
  group: ['iam:GetGroupPolicy', 'iam:ListAttachedGroupPolicies', 'iam:ListGroupPolicies'],
  policy: ['iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyTags'],
} as const;

export interface ElevatedAccessProps {
  readonly config: ElevatedAccessConfig;
  /** `detection.temporaryAccess`: the function reads it from its environment. */
  readonly temporaryAccess: readonly TemporaryAccessEntry[];
  readonly table: dynamodb.ITable;
  readonly storageKey: kms.IKey;
  readonly alerting: Alerting;
  readonly evidence: Evidence;
  readonly entry?: string;
  readonly projectRoot: string;
}

/**
 * Temporary elevated access not revoked (A.8.2): a scheduled function that reads the account's users, roles,
 * groups and policies (read-only) and pages admin grants still in place after their expiry. Findings take the
 * health function's path (ledger, incidents, evidence, topic); resolutions are archived under `triage/`. Its
 * role can read IAM in this account only and write nothing to IAM.
 */
export class ElevatedAccessCheck extends PipelinePart {
  readonly fn: LambdaFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ElevatedAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { fn, role } = trailwardenFunction(this, 'ElevatedAccess', {
      entry: props.entry ?? repoHandler('functions/elevated-access/handler.ts'),
      projectRoot: props.projectRoot,
      memorySize: 256,
      timeout: Duration.minutes(5),
      // The next scheduled run is the retry.
      retryAttempts: 0,
      description: 'Trailwarden: temporary admin access still in place after its expiry (read-only IAM)',
      environment: {
        TABLE_NAME: props.table.tableName,
        TOPIC_ARN: props.alerting.topic.topicArn,
        EVIDENCE_BUCKET: props.evidence.evidenceBucket.bucketName,
        ACCOUNT_ID: stack.account,
        GRACE_MINUTES: String(props.config.graceMinutes),
        TEMPORARY_ACCESS: JSON.stringify(props.temporaryAccess),
      },
    });
    this.fn = fn;
    props.table.grant(role, ...STATE_TABLE_ACTIONS);
    props.storageKey.grantEncryptDecrypt(role);
    props.alerting.grantPublishFindings(role);
    props.evidence.grantPutFindings(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.evidence.evidenceBucket.arnForObjects(`${TRIAGE_PREFIX}*`)],
      }),
    );

    const iamArn = (resource: string, account = stack.account) => `arn:${stack.partition}:iam::${account}:${resource}`;
    const a = ELEVATED_ACCESS_IAM_ACTIONS;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...a.listing], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...a.user], resources: [iamArn('user/*')] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...a.role], resources: [iamArn('role/*')] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...a.group], resources: [iamArn('group/*')] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...a.policy],
        resources: [iamArn('policy/*'), iamArn('policy/*', 'aws')],
      }),
    );

    this.schedule = new events.Rule(this, 'ElevatedAccessSchedule', {
      description: `Trailwarden: checks temporary admin access (${props.config.schedule})`,
      schedule: events.Schedule.expression(props.config.schedule),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    acknowledgeFindingsWriter(fn, props.evidence);
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('elevated-access function role has no default policy');
    // cdk-nag spells unresolved tokens as <AWS::Partition> / <AWS::AccountId>.
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'iam:ListUsers and iam:ListRoles list the whole account: there is no single user or role to name. The statement grants those two read-only actions.',
      },
      ...(['user', 'role', 'group', 'policy'] as const).map((type) => ({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:iam::${account}:${type}/*]`,
        reason: `The check reads every ${type} of this account (which are temporary admin is only known after reading them); read-only IAM actions, this account only.`,
      })),
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:iam::aws:policy/*]`,
        reason:
          'AWS managed policies attached to principals (AdministratorAccess…) are read with GetPolicy/GetPolicyVersion/ListPolicyTags; read-only.',
      },
      {
        id: props.evidence.objectsFinding(TRIAGE_PREFIX),
        reason:
          'Resolutions are archived as triage decisions (triage/dt=…/<id>.json, conditional on the key being new); the grant is PutObject only, scoped to the triage/ prefix.',
      },
    );
  }
}
