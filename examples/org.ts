import type { Actor, Rng } from './model.ts';
import { accessKey, awsService, HOME_REGION, iamUser, rngFrom, roleSession, serviceActor, stableId } from './model.ts';

/**
 * The example organisation: a production and a development account, four people and their workloads.
 * The bench scales it by adding teams (people and workloads with numbered names) to the same two accounts.
 */

export const PROD = '111122223333';
export const DEV = '444455556666';
export const ACCOUNTS = [PROD, DEV] as const;
export const ORG_ID = 'o-exampleorgid';

/** The CDK bootstrap qualifier every CDK app uses unless told otherwise. */
const CDK = 'hnb659fds';
export const cfnExecRole = (account: string): string => `cdk-${CDK}-cfn-exec-role-${account}-${HOME_REGION}`;
export const cdkDeployRole = (account: string): string => `cdk-${CDK}-deploy-role-${account}-${HOME_REGION}`;
export const cdkFilePublishingRole = (account: string): string =>
  `cdk-${CDK}-file-publishing-role-${account}-${HOME_REGION}`;
export const GITHUB_ROLE = 'github-actions-deploy';

export const SSO_PATH = `/aws-reserved/sso.amazonaws.com/${HOME_REGION}/`;
export type PermissionSet = 'AdministratorAccess' | 'PowerUserAccess' | 'ReadOnlyAccess' | 'SecurityAudit';
/** `AWSReservedSSO_<permission set>_<16 hex>`: the suffix is fixed per account and permission set. */
export const ssoRole = (account: string, set: PermissionSet): string =>
  `AWSReservedSSO_${set}_${rngFrom('sso', account, set).hex(16)}`;

export const BROWSERS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15',
] as const;

export const awsCli = (command: string): string =>
  `aws-cli/2.31.18 md/awscrt#0.28.1 ua/2.1 os/linux#6.8.0-85-generic md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,b cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#${command}`;

export const lambdaSdk = (service: string): string =>
  `aws-sdk-js/3.921.0 ua/2.1 os/linux#5.10.240-258.933.amzn2.x86_64 lang/js md/nodejs#22.20.0 api/${service}#3.921.0 exec-env/AWS_Lambda_nodejs22.x m/E,N`;

export const cdkCli = (service: string): string =>
  `aws-cdk/2.1031.0 aws-sdk-js/3.921.0 ua/2.1 os/linux#6.11.0-1018-azure lang/js md/nodejs#22.20.0 api/${service}#3.921.0 m/E,N,e`;

export const githubActionSdk =
  'aws-sdk-js/3.921.0 ua/2.1 os/linux#6.11.0-1018-azure lang/js md/nodejs#20.19.5 api/sts#3.921.0 m/E';

export interface SsoGrant {
  readonly account: string;
  readonly set: PermissionSet;
}

export interface Person {
  /** The role this person plays in the example story; bench teams repeat it with numbered names. */
  readonly role: 'alice' | 'bob' | 'carol' | 'dave';
  readonly name: string;
  readonly email: string;
  readonly ip: string;
  readonly browser: string;
  readonly sso: readonly SsoGrant[];
  /** A legacy IAM user (console with MFA, plus an access key). */
  readonly iamUser?: { readonly account: string; readonly accessKeyId: string };
}

export interface Workload {
  readonly account: string;
  readonly name: string;
  readonly role: string;
  readonly parameters: readonly string[];
  readonly secret: string;
  readonly kmsKey: string;
  readonly ip: string;
}

export interface Team {
  readonly index: number;
  readonly people: { readonly alice: Person; readonly bob: Person; readonly carol: Person; readonly dave: Person };
  readonly workloads: readonly Workload[];
  /** Security groups the deploys manage, per account. */
  readonly albSg: (account: string) => string;
  readonly appSg: (account: string) => string;
  readonly bastionSg: (account: string) => string;
  readonly suffix: string;
}

const ip = (net: '192.0.2' | '198.51.100' | '203.0.113', host: number): string => `${net}.${(host % 254) + 1}`;

export const kmsKeyArn = (account: string, name: string): string =>
  `arn:aws:kms:${HOME_REGION}:${account}:key/${rngFrom('kms', account, name).uuid()}`;

export const sgId = (account: string, name: string): string => `sg-${rngFrom('sg', account, name).hex(17)}`;

/** Team 0 is the example organisation itself; bench teams add numbered copies. */
export const team = (index: number): Team => {
  const n = index === 0 ? '' : String(index);
  const person = (
    role: Person['role'],
    slot: number,
    sso: readonly SsoGrant[],
    iam?: { readonly account: string },
  ): Person => ({
    role,
    name: `${role}${n}`,
    email: `${role}${n}@example.com`,
    ip: role === 'dave' ? ip('203.0.113', 20 + index) : ip('192.0.2', 9 + index * 4 + slot),
    browser: BROWSERS[slot % BROWSERS.length] ?? BROWSERS[0],
    sso,
    ...(iam
      ? {
          iamUser: {
            account: iam.account,
            accessKeyId: `AKIA${stableId('', `key/${role}${n}`, 16)}`,
          },
        }
      : {}),
  });
  const workload = (account: string, name: string, slot: number): Workload => ({
    account,
    name: `${name}${n}`,
    role: `${name}${n}-role`,
    parameters: [`/${name}${n}/config`, `/${name}${n}/feature-flags`],
    secret: `${name}${n}/db-credentials`,
    kmsKey: kmsKeyArn(account, `${name}${n}`),
    ip: ip('198.51.100', 100 + ((index * 6 + slot) % 120)),
  });
  return {
    index,
    suffix: n,
    people: {
      alice: person('alice', 0, [
        { account: PROD, set: 'AdministratorAccess' },
        { account: DEV, set: 'AdministratorAccess' },
      ]),
      bob: person(
        'bob',
        1,
        [
          { account: DEV, set: 'PowerUserAccess' },
          { account: PROD, set: 'ReadOnlyAccess' },
        ],
        // A legacy IAM user from before SSO, still present in dev and never used.
        { account: DEV },
      ),
      carol: person('carol', 2, [
        { account: PROD, set: 'SecurityAudit' },
        { account: PROD, set: 'AdministratorAccess' },
      ]),
      dave: person('dave', 3, [], { account: DEV }),
    },
    workloads: [
      workload(PROD, 'orders-api', 0),
      workload(PROD, 'payments-worker', 1),
      workload(PROD, 'ingest-events', 2),
      workload(PROD, 'reports-nightly', 3),
      workload(DEV, 'orders-api-dev', 4),
      workload(DEV, 'payments-worker-dev', 5),
    ],
    albSg: (account) => sgId(account, `alb${n}`),
    appSg: (account) => sgId(account, `app${n}`),
    bastionSg: (account) => sgId(account, `bastion${n}`),
  };
};

// -------------------------------------------------------------------------------------------- callers

/** A person in the console through an SSO permission set. */
export const ssoConsole = (p: Person, grant: SsoGrant, createdMs: number, rng: Rng, userAgent?: string): Actor => ({
  account: grant.account,
  identity: roleSession(grant.account, ssoRole(grant.account, grant.set), p.email, {
    path: SSO_PATH,
    createdMs,
    accessKeyId: accessKey(rng),
  }),
  sourceIp: p.ip,
  userAgent: userAgent ?? 'AWS Internal',
  console: true,
});

/** A person on the CLI with SSO credentials (`aws sso login`). */
export const ssoCli = (p: Person, grant: SsoGrant, createdMs: number, rng: Rng, command: string): Actor => ({
  account: grant.account,
  identity: roleSession(grant.account, ssoRole(grant.account, grant.set), p.email, {
    path: SSO_PATH,
    createdMs,
    accessKeyId: accessKey(rng),
  }),
  sourceIp: p.ip,
  userAgent: awsCli(command),
});

export const iamUserConsole = (p: Person, createdMs: number, rng: Rng): Actor => {
  const user = p.iamUser;
  if (!user) throw new Error(`${p.name} has no IAM user`);
  return {
    account: user.account,
    identity: iamUser(user.account, p.name, { accessKeyId: accessKey(rng), consoleSessionMs: createdMs }),
    sourceIp: p.ip,
    userAgent: 'AWS Internal',
    console: true,
  };
};

export const iamUserCli = (p: Person, command: string): Actor => {
  const user = p.iamUser;
  if (!user) throw new Error(`${p.name} has no IAM user`);
  return {
    account: user.account,
    identity: iamUser(user.account, p.name, { accessKeyId: user.accessKeyId }),
    sourceIp: p.ip,
    userAgent: awsCli(command),
  };
};

export const lambdaRole = (w: Workload, createdMs: number, rng: Rng, service: string): Actor => ({
  account: w.account,
  identity: roleSession(w.account, w.role, w.name, {
    createdMs,
    accessKeyId: accessKey(rng),
    extra: {
      inScopeOf: {
        issuerType: 'AWS::Lambda::Function',
        credentialsIssuedTo: `arn:aws:lambda:${HOME_REGION}:${w.account}:function:${w.name}`,
      },
    },
  }),
  sourceIp: w.ip,
  userAgent: lambdaSdk(service),
});

/** A service-linked role session (AWS Config's recorder, …): `invokedBy` the service. */
export const serviceLinked = (account: string, role: string, session: string, service: string, rng: Rng): Actor =>
  serviceActor(
    account,
    roleSession(account, role, session, {
      path: `/aws-service-role/${service}/`,
      createdMs: 0,
      accessKeyId: accessKey(rng),
      invokedBy: service,
    }),
    service,
  );

export const service = (account: string, name: string): Actor => serviceActor(account, awsService(name), name);

/** CloudFormation acting with the CDK execution role: the approved path for IAM and network changes. */
export const cfnExec = (account: string, createdMs: number, rng: Rng): Actor =>
  serviceActor(
    account,
    roleSession(account, cfnExecRole(account), 'AWSCloudFormation', {
      createdMs,
      accessKeyId: accessKey(rng),
      invokedBy: 'cloudformation.amazonaws.com',
    }),
    'cloudformation.amazonaws.com',
  );
