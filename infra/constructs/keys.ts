import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { PipelinePart } from './logical-ids.ts';

/**
 * What no principal but the break-glass role may do to a Trailwarden key: make it unusable (schedule deletion,
 * disable it), rewrite its policy (which would undo all of this), weaken it (rotation off), or cut the state
 * table off it (DynamoDB reads the table through a grant: revoked, the table becomes inaccessible and is
 * archived after seven days). An admin who could do any of these could make the locked evidence unreadable.
 */
export const PROTECTED_KEY_ACTIONS = [
  'kms:DeleteAlias',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
] as const;

/** Using a key, delegated to IAM: what the functions' roles are granted through their own policies. */
export const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
] as const;

/**
 * Administering a key, delegated to IAM (the actions of CDK's key administrator grant): no cryptographic use.
 * The protected actions among them are denied to everyone but the break-glass role.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:Create*',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
] as const;

/**
 * A key policy that separates administration from use and keeps the protected actions for the break-glass
 * role (nobody, when there is none). The account still delegates use and administration to IAM, so grants in
 * role policies (the functions', CloudFormation's) keep working; service principals are added per key.
 */
export const protectedKeyPolicy = (breakGlassRoleArn: string | undefined): iam.PolicyDocument => {
  const account = new iam.AccountRootPrincipal();
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'KeyUseThroughIam',
        principals: [account],
        actions: [...KEY_USE_ACTIONS],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'KeyAdministrationThroughIam',
        principals: [account],
        actions: [...KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: breakGlassRoleArn ? 'ProtectedActionsBreakGlassOnly' : 'ProtectedActionsNobody',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...PROTECTED_KEY_ACTIONS],
        resources: ['*'],
        // For a role's session aws:PrincipalArn is the role's ARN; a request without the key is denied too.
        ...(breakGlassRoleArn ? { conditions: { ArnNotEquals: { 'aws:PrincipalArn': breakGlassRoleArn } } } : {}),
      }),
    ],
  });
};

/**
 * A customer key under `protectedKeyPolicy`: rotated, retained when the stack goes. The policy denies
 * PutKeyPolicy to CloudFormation's role too, so KMS's lockout safety check (which refuses a policy its caller
 * could not change again) is bypassed on purpose: that lockout is the point.
 */
export const protectedKey = (
  scope: Construct,
  id: string,
  description: string,
  breakGlassRoleArn: string | undefined,
): kms.Key => {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: protectedKeyPolicy(breakGlassRoleArn),
  });
  const cfn = key.node.defaultChild;
  if (!(cfn instanceof kms.CfnKey)) throw new Error(`${id} has no CfnKey`);
  cfn.bypassPolicyLockoutSafetyCheck = true;
  return key;
};

/**
 * CloudWatch alarms of this account and region publish to a topic under `key`: CloudWatch needs the key, and
 * only for alarms of this account (`aws:SourceAccount`, `aws:SourceArn`), never as a confused deputy.
 */
export const allowCloudWatchAlarms = (key: kms.IKey, scope: Construct): void => {
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToTopic',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': alarmArns(stack) },
      },
    }),
  );
};

/** Every CloudWatch alarm of the stack's account and region. */
export const alarmArns = (stack: Stack): string =>
  stack.formatArn({
    service: 'cloudwatch',
    resource: 'alarm',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

export interface PipelineKeysProps {
  /** The only role that may delete, disable or re-police the keys (`PROTECTED_KEY_ACTIONS`); unset: nobody. */
  readonly breakGlassRoleArn?: string;
}

/**
 * The pipeline's two customer keys. Messaging: queues and both topics, also used by EventBridge (to put on the
 * queue) and CloudWatch (to publish alarms). Storage: state table and evidence bucket, used by the functions only.
 */
export class PipelineKeys extends PipelinePart {
  readonly messagingKey: kms.Key;
  readonly storageKey: kms.Key;

  constructor(scope: Construct, id: string, props: PipelineKeysProps = {}) {
    super(scope, id);
    this.messagingKey = protectedKey(
      this,
      'MessagingKey',
      'Trailwarden: event queue, dead-letter queue, findings topic and alarm topic',
      props.breakGlassRoleArn,
    );
    this.storageKey = protectedKey(
      this,
      'StorageKey',
      'Trailwarden: state table and Object-Lock evidence bucket',
      props.breakGlassRoleArn,
    );
  }

  /** EventBridge encrypts what the routes put on the (encrypted) queues, for this account only. */
  allowEventBridge(): void {
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToQueue',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }

  /** CloudWatch alarms publish to the encrypted alarm topic. */
  allowCloudWatchAlarms(): void {
    allowCloudWatchAlarms(this.messagingKey, this);
  }
}
