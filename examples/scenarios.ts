import { authorizeIngress, failedLogin, ssoSignIn } from './day.ts';
import type { Activity, Actor } from './model.ts';
import { accessKey, at, call, GLOBAL_REGION, HOME_REGION, iamUser, roleSession } from './model.ts';
import type { Team } from './org.ts';
import { DEV, iamUserCli, PROD, ssoRole, team as teamOf } from './org.ts';

/**
 * The incidents hidden in the example day, and every finding each one legitimately produces. The example
 * test scans the generated logs and expects exactly these findings: none missing, nothing extra.
 */

export interface ExpectedFinding {
  readonly scenario: string;
  readonly ruleId: string;
  readonly account: string;
  /** The finding's `actor.arn`, or its `actor.userName` when CloudTrail gives no ARN (failed sign-ins). */
  readonly actor: string;
  /** What was changed, for the reader; not compared. */
  readonly resource?: string;
  readonly reason: string;
}

const ssoSessionArn = (account: string, set: 'AdministratorAccess', email: string): string =>
  `arn:aws:sts::${account}:assumed-role/${ssoRole(account, set)}/${email}`;

export const publicBucket = (t: Team): string => `marketing-site${t.suffix}-${DEV}`;
/** The key the ransomware re-encrypts with: in an account outside the organisation. */
export const RANSOM_KEY = 'arn:aws:kms:eu-west-1:999988887777:key/5b2c8e1f-7a3d-4c6b-9e0f-1d2c3b4a5e6f';
/** The workload whose stolen role credentials the ransomware crew uses. */
const ransomVictim = (t: Team) => {
  const w = t.workloads.find((x) => x.name === `reports-nightly${t.suffix}`);
  if (w === undefined) throw new Error('no reports-nightly workload');
  return w;
};
const ransomActorArn = (t: Team): string =>
  `arn:aws:sts::${PROD}:assumed-role/${ransomVictim(t).role}/${ransomVictim(t).name}`;

/** The community image a developer launches: not in the example config's software.approvedImages. */
export const COMMUNITY_IMAGE = 'ami-0b7e5a3c9d1f24680';
/** The service identity whose console password someone found: `svc-*` is a service user in the example config. */
export const serviceUser = (t: Team): string => `svc-billing-export${t.suffix}`;

export const trail = (account: string): string =>
  `arn:aws:cloudtrail:${HOME_REGION}:${account}:trail/management-events`;

/** Teams of the bench repeat the scenarios a few minutes apart, all within the day. */
const offsetOf = (t: Team): number => Math.floor(t.index / 10) * 7 * 60_000;

/** When the trail is stopped and started again: CloudTrail records nothing for the account in between. */
export const trailGap = (t: Team): { readonly account: string; readonly from: number; readonly to: number } => {
  const offset = offsetOf(t);
  return { account: PROD, from: at(16, 41, 12) + offset, to: at(16, 49, 37) + offset };
};

/** The findings the scenarios of team `t` produce. */
export const expectedFor = (t: Team): ExpectedFinding[] => {
  const { alice, bob, carol, dave } = t.people;
  const aliceProd = ssoSessionArn(PROD, 'AdministratorAccess', alice.email);
  const aliceDev = ssoSessionArn(DEV, 'AdministratorAccess', alice.email);
  return [
    {
      scenario: 'brute-force',
      ruleId: 'signin.console-login-failures',
      account: DEV,
      actor: bob.name,
      reason: `7 failed console sign-ins for IAM user ${bob.name} within 4 minutes from one unknown IP, then nothing`,
    },
    {
      scenario: 'public-bucket',
      ruleId: 's3.bucket-made-public',
      account: DEV,
      actor: `arn:aws:iam::${DEV}:user/${dave.name}`,
      resource: `arn:aws:s3:::${publicBucket(t)}`,
      reason: 'PutBucketPolicy allowing s3:GetObject to Principal "*" with no condition',
    },
    {
      scenario: 'trail-stopped',
      ruleId: 'cloudtrail.logging-stopped',
      account: PROD,
      actor: ssoSessionArn(PROD, 'AdministratorAccess', carol.email),
      resource: trail(PROD),
      reason: 'StopLogging on the management trail from the console (restarted 8 minutes later)',
    },
    {
      scenario: 'ssh-open',
      ruleId: 'ec2.ingress-open-to-internet',
      account: DEV,
      actor: aliceDev,
      resource: t.bastionSg(DEV),
      reason: 'AuthorizeSecurityGroupIngress tcp/22 from 0.0.0.0/0',
    },
    {
      scenario: 'ssh-open',
      ruleId: 'ec2.security-group-changed',
      account: DEV,
      actor: aliceDev,
      resource: t.bastionSg(DEV),
      reason: 'security group changed by a person, not the approved deploy role',
    },
    {
      scenario: 'admin-attached',
      ruleId: 'iam.admin-granted',
      account: PROD,
      actor: aliceProd,
      resource: `arn:aws:iam::${PROD}:user/reporting-export${t.suffix}`,
      reason: 'AttachUserPolicy AdministratorAccess',
    },
    {
      scenario: 'admin-attached',
      ruleId: 'iam.policy-changed',
      account: PROD,
      actor: aliceProd,
      resource: `arn:aws:iam::${PROD}:user/reporting-export${t.suffix}`,
      reason: 'IAM policy change by a person, not the approved deploy role',
    },
    ...ransomwareFindings(t),
    {
      scenario: 'unapproved-ami',
      ruleId: 'ec2.unapproved-image-launched',
      account: DEV,
      actor: `arn:aws:iam::${DEV}:user/${dave.name}`,
      resource: `arn:aws:ec2:${HOME_REGION}::image/${COMMUNITY_IMAGE}`,
      reason: `RunInstances from community image ${COMMUNITY_IMAGE}, not in software.approvedImages`,
    },
    {
      scenario: 'service-user-console',
      ruleId: 'signin.service-user-console-login',
      account: PROD,
      actor: `arn:aws:iam::${PROD}:user/${serviceUser(t)}`,
      reason: `console sign-in as the service identity ${serviceUser(t)} (serviceUsers svc-*)`,
    },
    {
      scenario: 'service-user-console',
      ruleId: 'signin.console-login-without-mfa',
      account: PROD,
      actor: `arn:aws:iam::${PROD}:user/${serviceUser(t)}`,
      reason: 'the same sign-in used a password alone: a service identity has no MFA device',
    },
  ];
};

/** One stolen role, one actor: the findings a correlation window would page as one incident. */
const ransomwareFindings = (t: Team): ExpectedFinding[] => {
  const actor = ransomActorArn(t);
  const found = (ruleId: string, resource: string, reason: string): ExpectedFinding => ({
    scenario: 'ransomware',
    ruleId,
    account: PROD,
    actor,
    resource,
    reason,
  });
  return [
    found(
      'backup.recovery-point-deleted',
      `arn:aws:backup:${HOME_REGION}:${PROD}:backup-vault:prod-vault${t.suffix}`,
      '3 recovery points deleted by hand from the production vault (one finding, the rest fold into it)',
    ),
    found(
      'rds.snapshots-deleted-burst',
      `arn:aws:rds:${HOME_REGION}:${PROD}:snapshot:orders-db${t.suffix}-*`,
      '4 manual RDS snapshots deleted within 2 minutes (3 in 10 minutes pages on the high-criticality account)',
    ),
    found(
      'account.dangerous-action-denied',
      trail(PROD),
      'StopLogging attempted and refused (AccessDenied) before the destruction',
    ),
    found(
      'rds.database-deleted-without-backup',
      `arn:aws:rds:${HOME_REGION}:${PROD}:db:orders-db${t.suffix}`,
      'DeleteDBInstance with skipFinalSnapshot and deleteAutomatedBackups',
    ),
    found(
      'dynamodb.table-deleted',
      `arn:aws:dynamodb:${HOME_REGION}:${PROD}:table/orders${t.suffix}`,
      'DeleteTable by a workload role from an unknown network, outside the approved process',
    ),
    found(
      's3.encrypted-with-outside-key',
      `arn:aws:s3:::orders-data${t.suffix}-${PROD}`,
      `bucket default encryption set to ${RANSOM_KEY}, a key outside the organisation`,
    ),
  ];
};

export const EXPECTED_SCENARIOS: readonly ExpectedFinding[] = expectedFor(teamOf(0));

const ATTACKER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** The scenario activities of team `t` (team 0 in the examples; the bench sprinkles a few teams'). */
export const scenarioPlan = (t: Team): Activity[] => {
  const { alice, bob, carol, dave } = t.people;
  const offset = offsetOf(t);
  const k = `t${t.index}/scenario`;
  const attackerIp = `203.0.113.${200 + (t.index % 50)}`;
  return [
    {
      // Password guessing against a legacy IAM user nobody uses any more: 7 tries in under 4 minutes, then
      // the attacker gives up. No success follows.
      key: `${k}/brute-force`,
      at: at(2, 13, 5) + offset,
      run: (ctx) => {
        let time = at(2, 13, 5) + offset;
        for (let i = 0; i < 7; i++) {
          failedLogin(ctx, DEV, bob.name, attackerIp, ATTACKER_AGENT, time);
          time += ctx.rng.int(28, 38) * 1000;
        }
      },
    },
    {
      // A contractor "just shares" a bucket for the marketing site with a public-read policy.
      key: `${k}/public-bucket`,
      at: at(14, 22, 10) + offset,
      run: (ctx) => {
        const start = at(14, 22, 10) + offset;
        const bucket = publicBucket(t);
        const actor = (command: string): Actor => iamUserCli(dave, command);
        const s3 = { source: 's3.amazonaws.com', region: HOME_REGION } as const;
        const extra = {
          SignatureVersion: 'SigV4',
          CipherSuite: 'TLS_AES_128_GCM_SHA256',
          bytesTransferredIn: 0,
          AuthenticationMethod: 'AuthHeader',
          bytesTransferredOut: 0,
        };
        call(ctx, actor('s3api.get-bucket-policy'), start, {
          ...s3,
          name: 'GetBucketPolicy',
          request: { bucketName: bucket, Host: `${bucket}.s3.${HOME_REGION}.amazonaws.com`, policy: '' },
          error: { code: 'NoSuchBucketPolicy', message: 'The bucket policy does not exist' },
          additional: extra,
          readOnly: true,
        });
        call(ctx, actor('s3api.put-bucket-policy'), start + 95_000, {
          ...s3,
          name: 'PutBucketPolicy',
          request: {
            bucketName: bucket,
            Host: `${bucket}.s3.${HOME_REGION}.amazonaws.com`,
            bucketPolicy: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'PublicReadGetObject',
                  Effect: 'Allow',
                  Principal: '*',
                  Action: 's3:GetObject',
                  Resource: `arn:aws:s3:::${bucket}/*`,
                },
              ],
            },
            policy: '',
          },
          additional: { ...extra, bytesTransferredIn: 214 },
          resources: [{ accountId: DEV, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
        });
      },
    },
    {
      // "The trail costs too much": an admin stops it from the console, then thinks better of it.
      key: `${k}/trail-stopped`,
      at: at(16, 38, 40) + offset,
      run: (ctx) => {
        const gap = trailGap(t);
        const grant = { account: PROD, set: 'AdministratorAccess' } as const;
        const session = ssoSignIn(ctx, carol, grant, at(16, 38, 40) + offset);
        const cloudtrail = { source: 'cloudtrail.amazonaws.com', region: HOME_REGION } as const;
        call(ctx, session, gap.from - 60_000, {
          ...cloudtrail,
          name: 'DescribeTrails',
          request: { includeShadowTrails: true },
          readOnly: true,
        });
        call(ctx, session, gap.from - 20_000, {
          ...cloudtrail,
          name: 'GetTrailStatus',
          request: { name: trail(PROD) },
          readOnly: true,
        });
        call(ctx, session, gap.from, {
          ...cloudtrail,
          name: 'StopLogging',
          request: { name: trail(PROD) },
          resources: [{ accountId: PROD, type: 'AWS::CloudTrail::Trail', ARN: trail(PROD) }],
        });
        call(ctx, session, gap.to, {
          ...cloudtrail,
          name: 'StartLogging',
          request: { name: trail(PROD) },
          resources: [{ accountId: PROD, type: 'AWS::CloudTrail::Trail', ARN: trail(PROD) }],
        });
      },
    },
    {
      // Debugging from home: SSH on the bastion opened to the whole internet from the EC2 console.
      key: `${k}/ssh-open`,
      at: at(11, 4, 20) + offset,
      run: (ctx) => {
        const start = at(11, 4, 20) + offset;
        const session = ssoSignIn(ctx, alice, { account: DEV, set: 'AdministratorAccess' }, start);
        const ec2 = { ...session, userAgent: 'console.ec2.amazonaws.com' };
        call(ctx, ec2, start + 30_000, {
          source: 'ec2.amazonaws.com',
          name: 'DescribeSecurityGroups',
          region: HOME_REGION,
          request: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} },
          readOnly: true,
        });
        authorizeIngress(ctx, ec2, start + 75_000, t.bastionSg(DEV), 22, { cidr: '0.0.0.0/0' }, 'temp ssh from home');
      },
    },
    ransomware(t, offset),
    {
      // A contractor tries a "hardened" community image found in a blog post instead of the golden image.
      key: `${k}/unapproved-ami`,
      at: at(10, 17, 30) + offset,
      run: (ctx) => {
        const start = at(10, 17, 30) + offset;
        const instanceId = `i-0${ctx.rng.chars(16, '0123456789abcdef')}`;
        call(ctx, iamUserCli(dave, 'ec2.run-instances'), start, {
          source: 'ec2.amazonaws.com',
          name: 'RunInstances',
          region: HOME_REGION,
          request: {
            instancesSet: { items: [{ imageId: COMMUNITY_IMAGE, minCount: 1, maxCount: 1 }] },
            instanceType: 't3.medium',
            blockDeviceMapping: {},
            monitoring: { enabled: false },
            disableApiTermination: false,
            disableApiStop: false,
            clientToken: ctx.rng.uuid(),
          },
          response: {
            reservationId: `r-0${ctx.rng.chars(16, '0123456789abcdef')}`,
            ownerId: DEV,
            groupSet: {},
            instancesSet: {
              items: [
                {
                  instanceId,
                  imageId: COMMUNITY_IMAGE,
                  instanceState: { code: 0, name: 'pending' },
                  instanceType: 't3.medium',
                  placement: { availabilityZone: `${HOME_REGION}a`, tenancy: 'default' },
                },
              ],
            },
          },
        });
      },
    },
    {
      // The console password of a service identity, left over from its setup, is used from a browser in the evening.
      key: `${k}/service-user-console`,
      at: at(20, 2, 41) + offset,
      run: (ctx) => {
        const user = serviceUser(t);
        const { accessKeyId: _none, ...identity } = iamUser(PROD, user, { accessKeyId: '' });
        call(
          ctx,
          { account: PROD, identity, sourceIp: attackerIp, userAgent: ATTACKER_AGENT },
          at(20, 2, 41) + offset,
          {
            source: 'signin.amazonaws.com',
            name: 'ConsoleLogin',
            region: GLOBAL_REGION,
            response: { ConsoleLogin: 'Success' },
            additional: {
              LoginTo: `https://${HOME_REGION}.console.aws.amazon.com/console/home?region=${HOME_REGION}&state=hashArgs%23&isauthcode=true`,
              MobileVersion: 'No',
              MFAUsed: 'No',
            },
            eventType: 'AwsConsoleSignIn',
            requestID: null,
          },
        );
      },
    },
    {
      // A failing export job "fixed" by giving its IAM user AdministratorAccess.
      key: `${k}/admin-attached`,
      at: at(15, 12, 0) + offset,
      run: (ctx) => {
        const start = at(15, 12, 0) + offset;
        const session = ssoSignIn(ctx, alice, { account: PROD, set: 'AdministratorAccess' }, start);
        const user = `reporting-export${t.suffix}`;
        const iam = { source: 'iam.amazonaws.com', region: GLOBAL_REGION } as const;
        call(ctx, session, start + 25_000, { ...iam, name: 'GetUser', request: { userName: user }, readOnly: true });
        call(ctx, session, start + 26_000, {
          ...iam,
          name: 'ListAttachedUserPolicies',
          request: { userName: user },
          readOnly: true,
        });
        call(ctx, session, start + 48_000, {
          ...iam,
          name: 'AttachUserPolicy',
          request: { userName: user, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        });
      },
    },
  ];
};

const BOTO3 =
  'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36';

/**
 * Cloud ransomware with the stolen credentials of the nightly reports job, at night from a VPS: the backups go
 * first (recovery points, then RDS snapshots), an attempt to stop the trail is refused, then the orders database
 * is deleted without a final snapshot, the orders table is deleted, and the orders bucket is set to encrypt
 * under the crew's own KMS key.
 */
const ransomware = (t: Team, offset: number): Activity => {
  const start = at(3, 12, 0) + offset;
  const vault = `prod-vault${t.suffix}`;
  const db = `orders-db${t.suffix}`;
  const bucket = `orders-data${t.suffix}-${PROD}`;
  const w = ransomVictim(t);
  return {
    key: `t${t.index}/scenario/ransomware`,
    at: start,
    run: (ctx) => {
      const actor: Actor = {
        account: PROD,
        identity: roleSession(PROD, w.role, w.name, {
          createdMs: start - 41 * 60_000,
          accessKeyId: accessKey(ctx.rng),
        }),
        sourceIp: `203.0.113.${150 + (t.index % 50)}`,
        userAgent: BOTO3,
      };
      const backup = { source: 'backup.amazonaws.com', region: HOME_REGION } as const;
      const rds = { source: 'rds.amazonaws.com', region: HOME_REGION } as const;
      call(ctx, actor, start, {
        ...backup,
        name: 'ListRecoveryPointsByBackupVault',
        request: { backupVaultName: vault },
        readOnly: true,
      });
      for (let i = 0; i < 3; i++) {
        call(ctx, actor, start + 20_000 + i * 9_000, {
          ...backup,
          name: 'DeleteRecoveryPoint',
          request: {
            backupVaultName: vault,
            recoveryPointArn: `arn:aws:rds:${HOME_REGION}:${PROD}:snapshot:awsbackup:job-${ctx.rng.hex(32)}`,
          },
        });
      }
      call(ctx, actor, start + 100_000, {
        ...rds,
        name: 'DescribeDBSnapshots',
        request: { dBInstanceIdentifier: db, snapshotType: 'manual' },
        readOnly: true,
      });
      for (let i = 0; i < 4; i++) {
        const snapshot = `${db}-2026-10-${String(29 + i).padStart(2, '0')}`;
        call(ctx, actor, start + 120_000 + i * 25_000, {
          ...rds,
          name: 'DeleteDBSnapshot',
          request: { dBSnapshotIdentifier: snapshot },
          response: {
            dBSnapshotIdentifier: snapshot,
            dBInstanceIdentifier: db,
            status: 'deleted',
            snapshotType: 'manual',
            encrypted: true,
            dBSnapshotArn: `arn:aws:rds:${HOME_REGION}:${PROD}:snapshot:${snapshot}`,
          },
        });
      }
      call(ctx, actor, start + 300_000, {
        source: 'cloudtrail.amazonaws.com',
        region: HOME_REGION,
        name: 'StopLogging',
        request: { name: trail(PROD) },
        error: {
          code: 'AccessDenied',
          message: `User: ${ransomActorArn(t)} is not authorized to perform: cloudtrail:StopLogging on resource: ${trail(PROD)} with an explicit deny in a service control policy`,
        },
      });
      call(ctx, actor, start + 360_000, {
        ...rds,
        name: 'DeleteDBInstance',
        request: { dBInstanceIdentifier: db, skipFinalSnapshot: true, deleteAutomatedBackups: true },
        response: {
          dBInstanceIdentifier: db,
          dBInstanceStatus: 'deleting',
          engine: 'postgres',
          dBInstanceArn: `arn:aws:rds:${HOME_REGION}:${PROD}:db:${db}`,
          deletionProtection: false,
        },
      });
      call(ctx, actor, start + 420_000, {
        source: 'dynamodb.amazonaws.com',
        region: HOME_REGION,
        name: 'DeleteTable',
        request: { tableName: `orders${t.suffix}` },
        response: {
          tableDescription: {
            tableName: `orders${t.suffix}`,
            tableStatus: 'DELETING',
            tableArn: `arn:aws:dynamodb:${HOME_REGION}:${PROD}:table/orders${t.suffix}`,
          },
        },
        resources: [
          {
            accountId: PROD,
            type: 'AWS::DynamoDB::Table',
            ARN: `arn:aws:dynamodb:${HOME_REGION}:${PROD}:table/orders${t.suffix}`,
          },
        ],
      });
      call(ctx, actor, start + 480_000, {
        source: 's3.amazonaws.com',
        region: HOME_REGION,
        name: 'PutBucketEncryption',
        request: {
          bucketName: bucket,
          Host: `${bucket}.s3.${HOME_REGION}.amazonaws.com`,
          encryption: '',
          ServerSideEncryptionConfiguration: {
            xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
            Rule: {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: RANSOM_KEY },
              BucketKeyEnabled: true,
            },
          },
        },
        additional: {
          SignatureVersion: 'SigV4',
          CipherSuite: 'TLS_AES_128_GCM_SHA256',
          bytesTransferredIn: 312,
          AuthenticationMethod: 'AuthHeader',
          bytesTransferredOut: 0,
        },
        resources: [{ accountId: PROD, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      });
    },
  };
};
