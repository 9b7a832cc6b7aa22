import { authorizeIngress, failedLogin, ssoSignIn } from './day.ts';
import type { Activity, Actor } from './model.ts';
import { at, call, GLOBAL_REGION, HOME_REGION } from './model.ts';
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
