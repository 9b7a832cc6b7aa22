import { authorizeIngress } from './day.ts';
import type { Activity, Actor } from './model.ts';
import { accessKey, at, call, GLOBAL_REGION, HOME_REGION, iamUser, rngFrom, userArn } from './model.ts';
import { awsCli, DEV, sgId } from './org.ts';
import type { ExpectedFinding } from './scenarios.ts';

/**
 * The attack hour hidden in the example day: one actor — a leaked access key of a forgotten CI user in the
 * development account — works through the account from one address in under an hour: recon, a burst of denied
 * calls, GuardDuty deleted, a trail stopped, a backdoor admin user with its own key, SSH opened to the internet.
 * Eleven findings, five of them high or critical: one incident that pages once, at high, and escalates once, to
 * critical (DESIGN §6). Not part of the bench's scenario mix.
 */

export const ATTACK_USER = 'ci-deploy-legacy';
export const BACKDOOR_USER = 'support-admin';
export const ATTACKER_IP = '198.51.100.23';
export const ATTACK_START = at(3, 2, 11);
const SECONDARY_TRAIL = `arn:aws:cloudtrail:${HOME_REGION}:${DEV}:trail/data-events`;
const DETECTOR = 'c6b2f9e0a1d34e5f8a7b6c5d4e3f2a10';

const attacker = (command: string): Actor => ({
  account: DEV,
  identity: iamUser(DEV, ATTACK_USER, { accessKeyId: accessKey(rngFrom('attack-hour', 'key'), 'AKIA') }),
  sourceIp: ATTACKER_IP,
  userAgent: awsCli(command),
});

const ACTOR = userArn(DEV, ATTACK_USER);

/** Every finding of the attack hour: all one actor, so all one incident. */
export const EXPECTED_ATTACK: readonly ExpectedFinding[] = [
  ['iam.authorization-details-read', 'GetAccountAuthorizationDetails: every user, role, group and policy in one call'],
  ['account.discovery-burst', '17 different discovery calls across nine services within 6 minutes'],
  ['iam.access-denied-burst', '24 AccessDenied calls in 4 minutes while probing secrets, databases and keys'],
  ['guardduty.detector-disabled', `DeleteDetector ${DETECTOR}`],
  ['cloudtrail.logging-stopped', `StopLogging on ${SECONDARY_TRAIL}`],
  ['iam.user-created', `CreateUser ${BACKDOOR_USER} by an IAM user, not the deploy role`],
  ['iam.admin-granted', `AttachUserPolicy AdministratorAccess to ${BACKDOOR_USER}`],
  ['iam.policy-changed', 'IAM policy change by a person, not the approved deploy role'],
  ['iam.access-key-for-another-user', `CreateAccessKey for ${BACKDOOR_USER} by ${ATTACK_USER}`],
  ['ec2.ingress-open-to-internet', 'AuthorizeSecurityGroupIngress tcp/22 from 0.0.0.0/0'],
  ['ec2.security-group-changed', 'security group changed by a person, not the approved deploy role'],
].map(([ruleId, reason]) => ({
  scenario: 'attack-hour',
  ruleId: ruleId ?? '',
  account: DEV,
  actor: ACTOR,
  reason: reason ?? '',
}));

const DENIED = { code: 'AccessDenied', message: `User: ${ACTOR} is not authorized to perform this operation` };

export const attackPlan = (): Activity[] => [
  {
    key: 'attack-hour',
    at: ATTACK_START,
    run: (ctx) => {
      let t = ATTACK_START;
      const step = (min: number, max: number) => {
        t += ctx.rng.int(min, max) * 1000;
        return t;
      };
      const iam = { source: 'iam.amazonaws.com', region: GLOBAL_REGION } as const;
      // Recon: who am I, what is here.
      call(ctx, attacker('sts.get-caller-identity'), t, {
        source: 'sts.amazonaws.com',
        name: 'GetCallerIdentity',
        region: HOME_REGION,
        readOnly: true,
      });
      call(ctx, attacker('iam.list-users'), step(20, 40), { ...iam, name: 'ListUsers', readOnly: true });
      call(ctx, attacker('iam.list-roles'), step(5, 15), { ...iam, name: 'ListRoles', readOnly: true });
      call(ctx, attacker('ec2.describe-instances'), step(10, 30), {
        source: 'ec2.amazonaws.com',
        name: 'DescribeInstances',
        region: HOME_REGION,
        request: { instancesSet: {}, filterSet: {} },
        readOnly: true,
      });
      // The whole IAM map in one call, then a sweep of what else the account holds (Pacu's enum modules).
      call(ctx, attacker('iam.get-account-authorization-details'), step(5, 15), {
        ...iam,
        name: 'GetAccountAuthorizationDetails',
        request: { filter: ['User', 'Role', 'Group', 'LocalManagedPolicy'] },
        readOnly: true,
      });
      const sweep = [
        ['s3.amazonaws.com', 'ListBuckets', 's3api.list-buckets', { Host: 's3.amazonaws.com' }],
        ['ec2.amazonaws.com', 'DescribeSecurityGroups', 'ec2.describe-security-groups', { securityGroupSet: {} }],
        ['ec2.amazonaws.com', 'DescribeVpcs', 'ec2.describe-vpcs', { vpcSet: {} }],
        ['lambda.amazonaws.com', 'ListFunctions20150331', 'lambda.list-functions', null],
        ['cloudtrail.amazonaws.com', 'DescribeTrails', 'cloudtrail.describe-trails', { includeShadowTrails: true }],
        ['guardduty.amazonaws.com', 'ListDetectors', 'guardduty.list-detectors', null],
        ['dynamodb.amazonaws.com', 'ListTables', 'dynamodb.list-tables', null],
        ['sns.amazonaws.com', 'ListTopics', 'sns.list-topics', null],
      ] as const;
      for (const [source, name, command, request] of sweep) {
        call(ctx, attacker(command), step(3, 8), {
          source,
          name,
          region: HOME_REGION,
          ...(request === null ? {} : { request }),
          readOnly: true,
        });
      }
      // Probing what the key may touch: a burst of denied calls.
      const probes = [
        ['secretsmanager.amazonaws.com', 'ListSecrets', 'secretsmanager.list-secrets'],
        ['rds.amazonaws.com', 'DescribeDBInstances', 'rds.describe-db-instances'],
        ['kms.amazonaws.com', 'ListKeys', 'kms.list-keys'],
        ['ssm.amazonaws.com', 'DescribeParameters', 'ssm.describe-parameters'],
      ] as const;
      for (let i = 0; i < 24; i++) {
        const [source, name, command] = probes[i % probes.length] ?? probes[0];
        call(ctx, attacker(command), step(6, 12), { source, name, region: HOME_REGION, readOnly: true, error: DENIED });
      }
      // Blind the defenders.
      call(ctx, attacker('guardduty.delete-detector'), step(90, 150), {
        source: 'guardduty.amazonaws.com',
        name: 'DeleteDetector',
        region: HOME_REGION,
        request: { detectorId: DETECTOR },
      });
      call(ctx, attacker('cloudtrail.stop-logging'), step(60, 120), {
        source: 'cloudtrail.amazonaws.com',
        name: 'StopLogging',
        region: HOME_REGION,
        request: { name: SECONDARY_TRAIL },
        resources: [{ accountId: DEV, type: 'AWS::CloudTrail::Trail', ARN: SECONDARY_TRAIL }],
      });
      // Persistence: a backdoor administrator with its own key.
      const backdoor = userArn(DEV, BACKDOOR_USER);
      call(ctx, attacker('iam.create-user'), step(120, 240), {
        ...iam,
        name: 'CreateUser',
        request: { userName: BACKDOOR_USER },
        response: {
          user: {
            path: '/',
            userName: BACKDOOR_USER,
            userId: 'AIDAATTACKHOURBACKDOOR',
            arn: backdoor,
            createDate: 'Nov 2, 2026, 3:12:40 AM',
          },
        },
      });
      call(ctx, attacker('iam.attach-user-policy'), step(20, 40), {
        ...iam,
        name: 'AttachUserPolicy',
        request: { userName: BACKDOOR_USER, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      });
      call(ctx, attacker('iam.create-access-key'), step(20, 40), {
        ...iam,
        name: 'CreateAccessKey',
        request: { userName: BACKDOOR_USER },
        response: {
          accessKey: {
            userName: BACKDOOR_USER,
            accessKeyId: accessKey(ctx.rng, 'AKIA'),
            status: 'Active',
            createDate: 'Nov 2, 2026, 3:13:30 AM',
          },
        },
      });
      // A way in that does not depend on the key: SSH from anywhere.
      authorizeIngress(
        ctx,
        attacker('ec2.authorize-security-group-ingress'),
        step(600, 900),
        sgId(DEV, 'build-runner'),
        22,
        { cidr: '0.0.0.0/0' },
        'ops',
      );
    },
  },
];
