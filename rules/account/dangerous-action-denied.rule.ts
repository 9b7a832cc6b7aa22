import { partitionOf, s3BucketArn } from '../core/arn.ts';
import { isAuditLogGroup, logGroupOf } from '../core/audit-logs.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import {
  accountOf,
  actorArn,
  isServiceInvoked,
  param,
  parametersNotRecorded,
  serviceOf,
  stringParam,
} from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule, PARAMETERS_ABSENT_NOTE } from '../core/define-rule.ts';
import { DENIED_ERROR_CODES, flagParam, isDenied } from '../core/destruction.ts';
import {
  isActingIamUser,
  isAdminEquivalent,
  isAdminManagedPolicyArn,
  targetsAnotherIamUser,
} from '../core/iam-policy.ts';
import { bothSpellings, domainOf } from '../core/route53domains.ts';
import { batchByFilter } from '../core/secrets.ts';
import { isOwnResource } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';
import { SELF_PROTECTION } from '../fixtures/self-protection.ts';

const always = (): boolean => true;
const bucketCandidates = (e: CloudTrailRecord): string[] => {
  const bucket = stringParam(e.requestParameters, 'bucketName') ?? '';
  return [bucket, s3BucketArn(partitionOf(e.awsRegion), bucket)];
};
const onTrailwardenBucket = (e: CloudTrailRecord, config: DetectionConfig): boolean =>
  isOwnResource(bucketCandidates(e), config);
const grantsAdminManagedPolicy = (e: CloudTrailRecord): boolean =>
  isAdminManagedPolicyArn(stringParam(e.requestParameters, 'policyArn') ?? '');
const grantsAdminInlinePolicy = (e: CloudTrailRecord): boolean =>
  isAdminEquivalent(param(e.requestParameters, 'policyDocument'));

/**
 * The actions an attacker probes one at a time, by service and event name, with the condition that makes the
 * attempt dangerous (when it is not always) and why, for the finding.
 */
const DANGEROUS: Readonly<
  Record<
    string,
    Readonly<
      Record<
        string,
        {
          readonly when: (e: CloudTrailRecord, c: DetectionConfig) => boolean;
          readonly why: string;
          /** IAM acts on the caller itself when no user is named: no parameters means no other user. */
          readonly absentIsSelf?: true;
        }
      >
    >
  >
> = {
  cloudtrail: {
    StopLogging: { when: always, why: 'stop the trail' },
    DeleteTrail: { when: always, why: 'delete the trail' },
    UpdateTrail: { when: always, why: 'redirect or weaken the trail' },
    PutEventSelectors: { when: always, why: 'change what the trail records' },
    DeleteEventDataStore: { when: always, why: 'delete a CloudTrail Lake event data store' },
    StopEventDataStoreIngestion: { when: always, why: 'stop CloudTrail Lake ingestion' },
  },
  organizations: {
    LeaveOrganization: { when: always, why: 'take the account out of the organisation and its SCPs' },
  },
  // Registrar actions log with a lower-case first letter (route53domains.ts); both spellings are listed.
  route53domains: Object.fromEntries(
    bothSpellings(['DisableDomainTransferLock', 'RetrieveDomainAuthCode', 'TransferDomainToAnotherAwsAccount']).map(
      (name) => [name, { when: always, why: 'move a registered domain out of the account' }],
    ),
  ),
  guardduty: {
    DeleteDetector: { when: always, why: 'delete the GuardDuty detector' },
    UpdateDetector: {
      when: (e) => flagParam(e.requestParameters, 'enable') === false,
      why: 'suspend the GuardDuty detector',
    },
  },
  securityhub: {
    DisableSecurityHub: { when: always, why: 'disable Security Hub' },
  },
  config: {
    StopConfigurationRecorder: { when: always, why: 'stop AWS Config recording' },
    DeleteConfigurationRecorder: { when: always, why: 'delete the AWS Config recorder' },
    DeleteDeliveryChannel: { when: always, why: 'delete the AWS Config delivery channel' },
  },
  secretsmanager: {
    BatchGetSecretValue: { when: batchByFilter, why: 'read every secret a filter matches (BatchGetSecretValue)' },
  },
  logs: {
    DeleteLogGroup: { when: (e) => isAuditLogGroup(e), why: 'delete an audit log group' },
  },
  s3: {
    PutBucketPolicy: { when: onTrailwardenBucket, why: "rewrite the policy of Trailwarden's evidence bucket" },
    DeleteBucketPolicy: { when: onTrailwardenBucket, why: "remove the policy of Trailwarden's evidence bucket" },
    PutBucketVersioning: { when: onTrailwardenBucket, why: "suspend versioning on Trailwarden's evidence bucket" },
    PutObjectLockConfiguration: {
      when: onTrailwardenBucket,
      why: "weaken Object Lock on Trailwarden's evidence bucket",
    },
    PutBucketLifecycle: { when: onTrailwardenBucket, why: "expire objects in Trailwarden's evidence bucket" },
    DeleteBucket: { when: onTrailwardenBucket, why: "delete Trailwarden's evidence bucket" },
  },
  iam: {
    AttachUserPolicy: { when: grantsAdminManagedPolicy, why: 'grant a user administrator rights' },
    AttachRolePolicy: { when: grantsAdminManagedPolicy, why: 'grant a role administrator rights' },
    AttachGroupPolicy: { when: grantsAdminManagedPolicy, why: 'grant a group administrator rights' },
    PutUserPolicy: { when: grantsAdminInlinePolicy, why: 'grant a user administrator rights inline' },
    PutRolePolicy: { when: grantsAdminInlinePolicy, why: 'grant a role administrator rights inline' },
    PutGroupPolicy: { when: grantsAdminInlinePolicy, why: 'grant a group administrator rights inline' },
    CreateAccessKey: { when: targetsAnotherIamUser, why: 'create an access key for another user', absentIsSelf: true },
    CreateLoginProfile: {
      when: targetsAnotherIamUser,
      why: 'create a console password for another user',
      absentIsSelf: true,
    },
    UpdateLoginProfile: { when: targetsAnotherIamUser, why: "change another user's console password" },
  },
};

const entryFor = (e: CloudTrailRecord) => DANGEROUS[serviceOf(e.eventSource)]?.[e.eventName];

/**
 * CloudTrail can leave out the parameters of a refused call too. defineRule fails closed only for successful
 * calls (a denied call changed nothing); for this rule the denial is the finding, so it fails closed itself:
 * an attempt whose target it cannot check counts as the dangerous kind.
 */
/** The IAM user a refusal names: `on resource: user bob` or `on resource: arn:aws:iam::…:user/path/bob`. */
const REFUSED_USER = /on resource: (?:user |arn:aws[a-z-]*:iam::\d{12}:user\/(?:[\w+=,.@/-]*\/)?)([\w+=,.@-]+)/;
const refusedIamUser = (e: CloudTrailRecord): string | undefined => REFUSED_USER.exec(e.errorMessage ?? '')?.[1];

/** Missing, null, or CloudTrail's `omitted` marker for an oversized request. */
const parametersAbsent = (e: CloudTrailRecord): boolean => parametersNotRecorded(e);
const isDangerousAttempt = (e: CloudTrailRecord, config: DetectionConfig): boolean => {
  const entry = entryFor(e);
  if (entry === undefined) return false;
  if (!parametersAbsent(e)) return entry.when(e, config);
  if (entry.absentIsSelf !== true) return true;
  const refused = refusedIamUser(e);
  return refused !== undefined && !isActingIamUser(e, refused);
};

const EVENT_NAMES = [...new Set(Object.values(DANGEROUS).flatMap((byName) => Object.keys(byName)))].sort();

/** The target named in the finding: trail, log group, bucket, user or role, else the account. */
const targetOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'name') ??
  stringParam(e.requestParameters, 'trailName') ??
  stringParam(e.requestParameters, 'bucketName') ??
  stringParam(e.requestParameters, 'userName') ??
  stringParam(e.requestParameters, 'roleName') ??
  stringParam(e.requestParameters, 'groupName') ??
  stringParam(e.requestParameters, 'detectorId') ??
  (e.eventSource === 'route53domains.amazonaws.com' ? domainOf(e) : undefined) ??
  (e.eventSource === 'logs.amazonaws.com' ? logGroupOf(e) : accountOf(e));

export const rule = defineRule({
  id: 'account.dangerous-action-denied',
  title: 'Denied attempt at one of the most dangerous actions',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.16', 'A.8.2'],
  mitre: ['T1562.008', 'T1562.001', 'T1098', 'T1098.001'],
  // Wildcard service narrowed to these event names and the denial codes: one EventBridge pattern for them all.
  on: { source: '*', eventNames: EVENT_NAMES, where: { errorCode: DENIED_ERROR_CODES } },
  match: (e, ctx) => isDenied(e) && !isServiceInvoked(e) && isDangerousAttempt(e, ctx.config),
  explain: (e) => [
    ...(parametersAbsent(e)
      ? [
          `${PARAMETERS_ABSENT_NOTE}: the rule could not check the target, so it treats the attempt as the dangerous kind.`,
        ]
      : []),
    `tried to ${entryFor(e)?.why ?? e.eventName} (${serviceOf(e.eventSource)}:${e.eventName} on ${targetOf(e)})`,
    `refused with ${e.errorCode ?? 'an error'}${e.errorMessage ? `: ${e.errorMessage.slice(0, 300)}` : ''}`,
  ],
  // One finding per identity and action: repeats of the same attempt fold, a different dangerous action is new.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}|${e.eventSource}|${e.eventName}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A single call to stop or weaken logging, leave the organisation, switch off GuardDuty, Security Hub or AWS ' +
    "Config, delete an audit log group, weaken Trailwarden's evidence bucket, read secrets in bulk by filter, grant administrator rights, " +
    'create credentials for another user, or unlock or transfer a registered domain was refused (AccessDenied, UnauthorizedOperation): someone tried.',
  runbook: [
    'Find out who holds these credentials: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=<user-or-session>` over the last day, in each region. A person who should never touch this action, or a workload role, is a strong sign of stolen credentials.',
    'Check what else the identity tried and what succeeded: the denial is a guardrail working, the successes next to it are the damage.',
    'If the attempt is not explained, revoke the session or deactivate the access key, and keep the guardrail (SCP, permissions boundary) that refused it.',
    'If it is a legitimate admin task attempted with the wrong role, point the person to the approved process; do not widen the role.',
  ],
  rationale:
    'An attacker with fresh credentials probes the actions that matter one at a time (stop the trail, leave the organisation, make themselves admin), far below the 20-in-10-minutes of iam.access-denied-burst; a refused attempt at any of them is a finding on its own, with the error in its details. ' +
    'The successful calls are other rules (cloudtrail.logging-stopped, iam.admin-granted, s3.trailwarden-bucket-tampered …), which never match a denied call, so one attempt raises one finding. High, critical on high-criticality accounts, medium on low ones. ' +
    'Conditions keep the routine out: log groups must be audit groups, buckets must be Trailwarden’s (selfProtection), grants must be administrator-equivalent, keys and passwords must be for another user.',
  falsePositives: [
    'Engineers clicking through the console with a read-only role (the console calls PutEventSelectors or UpdateDetector on save).',
    'Security tooling that tests its own guardrails (suppress its role with a dated reason).',
  ],
  cases: () => [
    {
      name: 'StopLogging denied',
      expect: 'match',
      event: fixture('cloudtrail/StopLogging', denied('AccessDenied', 'cloudtrail:StopLogging')),
    },
    {
      name: 'domain transfer lock removal denied (as CloudTrail spells it)',
      expect: 'match',
      event: fixture(
        'route53domains/DisableDomainTransferLock',
        denied('AccessDeniedException', 'route53domains:DisableDomainTransferLock'),
      ),
    },
    {
      name: 'PutEventSelectors denied',
      expect: 'match',
      event: fixture('cloudtrail/PutEventSelectors', denied('AccessDenied', 'cloudtrail:PutEventSelectors')),
    },
    {
      name: 'LeaveOrganization denied by SCP',
      expect: 'match',
      event: fixture(
        'organizations/LeaveOrganization',
        denied('AccessDeniedException', 'organizations:LeaveOrganization'),
      ),
    },
    {
      name: 'GuardDuty DeleteDetector denied',
      expect: 'match',
      event: fixture('guardduty/DeleteDetector', denied('AccessDeniedException', 'guardduty:DeleteDetector')),
    },
    {
      name: 'DisableSecurityHub denied',
      expect: 'match',
      event: fixture(
        'securityhub/DisableSecurityHub',
        denied('AccessDeniedException', 'securityhub:DisableSecurityHub'),
      ),
    },
    {
      name: 'StopConfigurationRecorder denied',
      expect: 'match',
      event: fixture(
        'config/StopConfigurationRecorder',
        denied('AccessDeniedException', 'config:StopConfigurationRecorder'),
      ),
    },
    {
      name: 'secrets read in bulk by filter, denied (Panther AWS.SecretsManager.BatchRetrieveSecrets)',
      expect: 'match',
      event: fixture('secretsmanager/BatchGetSecretValue-denied'),
    },
    {
      name: 'a batch of named secrets denied (an application missing one permission)',
      expect: 'no-match',
      event: fixture('secretsmanager/BatchGetSecretValue-denied', {
        requestParameters: { secretIdList: ['prod/orders/db', 'prod/orders/api-key'], filters: undefined },
      }),
    },
    {
      name: 'audit log group deletion denied',
      expect: 'match',
      event: fixture('logs/DeleteLogGroup', denied('AccessDeniedException', 'logs:DeleteLogGroup')),
    },
    {
      name: "policy of Trailwarden's evidence bucket denied",
      expect: 'match',
      event: fixture('s3/PutBucketPolicy-trailwarden', denied('AccessDenied', 's3:PutBucketPolicy')),
      config: SELF_PROTECTION,
    },
    {
      name: 'AdministratorAccess attachment denied',
      expect: 'match',
      event: fixture('iam/AttachUserPolicy-admin', denied('AccessDenied', 'iam:AttachUserPolicy')),
    },
    {
      name: 'access key for another user denied',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-other-user', denied('AccessDenied', 'iam:CreateAccessKey', 'user bob')),
    },
    {
      name: 'EC2-style code UnauthorizedOperation',
      expect: 'match',
      event: fixture('cloudtrail/StopLogging', denied('Client.UnauthorizedOperation', 'cloudtrail:StopLogging')),
    },
    {
      name: 'an attachment denied with its parameters not recorded: fails closed',
      expect: 'match',
      event: fixture('iam/AttachUserPolicy-admin', {
        ...denied('AccessDenied', 'iam:AttachUserPolicy'),
        requestParameters: null,
      }),
    },
    {
      name: 'the same call succeeding is the success rule’s, not this one’s',
      expect: 'no-match',
      event: fixture('cloudtrail/StopLogging'),
    },
    {
      name: 'failing for another reason (trail not found) is not a denial',
      expect: 'no-match',
      event: fixture('cloudtrail/StopLogging', { errorCode: 'TrailNotFoundException', errorMessage: 'Unknown trail' }),
    },
    {
      name: 'ordinary log group deletion denied',
      expect: 'no-match',
      event: fixture('logs/DeleteLogGroup', {
        ...denied('AccessDeniedException', 'logs:DeleteLogGroup'),
        requestParameters: { logGroupName: '/aws/lambda/orders-api-ResizeImageFunction-3F9A1B2C4D5E' },
      }),
    },
    {
      name: 'a non-admin policy attachment denied',
      expect: 'no-match',
      event: fixture('iam/AttachUserPolicy-admin', {
        ...denied('AccessDenied', 'iam:AttachUserPolicy'),
        requestParameters: { userName: 'reporting-export', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      }),
    },
    {
      name: 'a refused key whose parameters were not recorded, for a user named in the error',
      expect: 'match',
      event: fixture('iam/CreateAccessKey', {
        ...denied('AccessDenied', 'iam:CreateAccessKey', 'arn:aws:iam::111122223333:user/ops/bob'),
        requestParameters: null,
      }),
    },
    {
      name: 'a user creating their own access key, denied',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey', denied('AccessDenied', 'iam:CreateAccessKey')),
    },
    {
      name: "a bucket policy denied on someone else's bucket",
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-public', denied('AccessDenied', 's3:PutBucketPolicy')),
      config: SELF_PROTECTION,
    },
  ],
};
