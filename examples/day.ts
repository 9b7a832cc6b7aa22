import type { Activity, Actor, CallSpec, Ctx, JsonRecord, Rng } from './model.ts';
import {
  accessKey,
  alnum,
  at,
  awsDate,
  byStartThenKey,
  call,
  DAY_START_MS,
  GLOBAL_REGION,
  HOME_REGION,
  HOUR,
  iso,
  MINUTE,
  rngFrom,
  roleArn,
  roleSession,
  serviceActor,
  stableId,
} from './model.ts';
import type { Person, SsoGrant, Team, Workload } from './org.ts';
import {
  awsCli,
  cdkCli,
  cdkDeployRole,
  cdkFilePublishingRole,
  cfnExec,
  cfnExecRole,
  DEV,
  GITHUB_ROLE,
  githubActionSdk,
  iamUserCli,
  iamUserConsole,
  kmsKeyArn,
  lambdaRole,
  PROD,
  SSO_PATH,
  service,
  serviceLinked,
  sgId,
  ssoCli,
  ssoConsole,
  ssoRole,
  team as teamOf,
} from './org.ts';

/**
 * A day of normal activity for a small organisation: people in the console (SSO and one legacy IAM user),
 * the CLI, CI/CD deploys through CloudFormation with the CDK roles, Lambda workloads, AWS Config's recorder,
 * CloudTrail's own KMS calls, backups. Nothing here should produce a finding.
 */

export interface OrgShape {
  /** Team 0 is alice, bob, carol and dave; more teams add numbered people and workloads (the bench). */
  readonly teams: number;
  /** Multiplies how busy workloads are (Lambda cold starts, KMS and SSM calls). */
  readonly workloadFactor: number;
}

export const EXAMPLE_SHAPE: OrgShape = { teams: 1, workloadFactor: 1 };

// -------------------------------------------------------------------------------------------- helpers

const withAgent = (actor: Actor, userAgent: string): Actor => ({ ...actor, userAgent });
const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
const s3Host = (bucket: string): string => `${bucket}.s3.${HOME_REGION}.amazonaws.com`;
const s3Extra = (rng: Rng): JsonRecord => ({
  SignatureVersion: 'SigV4',
  CipherSuite: 'TLS_AES_128_GCM_SHA256',
  bytesTransferredIn: 0,
  AuthenticationMethod: 'AuthHeader',
  'x-amz-id-2': `${alnum(rng, 56)}=`,
  bytesTransferredOut: 0,
});

export const bucketsOf = (t: Team, account: string): string[] => [
  `orders-data${t.suffix}-${account}`,
  `web-assets${t.suffix}-${account}`,
  `cdk-hnb659fds-assets-${account}-${HOME_REGION}`,
  `cloudtrail-logs-${account}`,
];
const stacksOf = (t: Team): string[] => ['OrdersApi', 'Frontend', 'Payments', 'Reporting'].map((s) => s + t.suffix);
const tablesOf = (t: Team): string[] => [`orders${t.suffix}`, `payments${t.suffix}`, `customers${t.suffix}`];
const workloadsIn = (t: Team, account: string): Workload[] => t.workloads.filter((w) => w.account === account);
const trailArn = (account: string): string => `arn:aws:cloudtrail:${HOME_REGION}:${account}:trail/management-events`;
const secretArn = (w: Workload, rng: Rng): string =>
  `arn:aws:secretsmanager:${HOME_REGION}:${w.account}:secret:${w.secret}-${alnum(rng, 6)}`;

const stsCredentials = (rng: Rng, t: number, hours = 1): JsonRecord => ({
  accessKeyId: accessKey(rng),
  expiration: awsDate(t + hours * HOUR),
});

const roleResource = (account: string, arn: string) => ({ accountId: account, type: 'AWS::IAM::Role', ARN: arn });

// ---------------------------------------------------------------------------------------- read traffic

interface ReadEnv {
  readonly rng: Rng;
  readonly account: string;
  readonly team: Team;
}

interface Read {
  readonly source: string;
  readonly name: string;
  readonly global?: boolean;
  /** The user agent the console uses for this service's calls. */
  readonly consoleAgent?: string;
  readonly request: (e: ReadEnv) => JsonRecord | null;
  readonly error?: (e: ReadEnv) => { readonly code: string; readonly message: string } | undefined;
}

const pickWorkload = (e: ReadEnv): Workload => e.rng.pick(workloadsIn(e.team, e.account));
const pickBucket = (e: ReadEnv): string => e.rng.pick(bucketsOf(e.team, e.account));

/** A read of one bucket sub-resource: CloudTrail logs the sub-resource as an empty request parameter. */
const bucketRead = (name: string, subresource: string) => ({
  source: 's3',
  name,
  request: (e: ReadEnv) => {
    const b = pickBucket(e);
    return { bucketName: b, Host: s3Host(b), [subresource]: '' };
  },
});

const READS: Readonly<Record<string, Read>> = {
  DescribeInstances: {
    source: 'ec2',
    name: 'DescribeInstances',
    consoleAgent: 'console.ec2.amazonaws.com',
    request: () => ({ instancesSet: {}, filterSet: {} }),
  },
  DescribeSecurityGroups: {
    source: 'ec2',
    name: 'DescribeSecurityGroups',
    consoleAgent: 'console.ec2.amazonaws.com',
    request: () => ({ securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} }),
  },
  DescribeSecurityGroupRules: {
    source: 'ec2',
    name: 'DescribeSecurityGroupRules',
    consoleAgent: 'console.ec2.amazonaws.com',
    request: (e) => ({
      DescribeSecurityGroupRulesRequest: {
        Filter: { Name: 'group-id', Value: { content: e.team.albSg(e.account), tag: 1 }, tag: 1 },
        MaxResults: 1000,
      },
    }),
  },
  DescribeVpcs: {
    source: 'ec2',
    name: 'DescribeVpcs',
    consoleAgent: 'console.ec2.amazonaws.com',
    request: () => ({ vpcSet: {}, filterSet: {} }),
  },
  DescribeSubnets: {
    source: 'ec2',
    name: 'DescribeSubnets',
    consoleAgent: 'console.ec2.amazonaws.com',
    request: () => ({ subnetSet: {}, filterSet: {} }),
  },
  DescribeVolumes: {
    source: 'ec2',
    name: 'DescribeVolumes',
    consoleAgent: 'console.ec2.amazonaws.com',
    request: () => ({ volumeSet: {}, filterSet: {} }),
  },
  DescribeLoadBalancers: {
    source: 'elasticloadbalancing',
    name: 'DescribeLoadBalancers',
    request: () => ({ pageSize: 400 }),
  },
  DescribeTargetHealth: {
    source: 'elasticloadbalancing',
    name: 'DescribeTargetHealth',
    request: (e) => ({
      targetGroupArn: `arn:aws:elasticloadbalancing:${HOME_REGION}:${e.account}:targetgroup/Front-Targe${e.team.suffix}/${rngFrom('tg', e.account, e.team.index).hex(16)}`,
    }),
  },
  ListFunctions: { source: 'lambda', name: 'ListFunctions20150331', request: () => ({ functionVersion: 'ALL' }) },
  GetFunction: {
    source: 'lambda',
    name: 'GetFunction20150331v2',
    request: (e) => ({ functionName: pickWorkload(e).name }),
  },
  GetFunctionConfiguration: {
    source: 'lambda',
    name: 'GetFunctionConfiguration20150331v2',
    request: (e) => ({ functionName: pickWorkload(e).name }),
  },
  DescribeLogGroups: { source: 'logs', name: 'DescribeLogGroups', request: () => ({ limit: 50 }) },
  DescribeLogStreams: {
    source: 'logs',
    name: 'DescribeLogStreams',
    request: (e) => ({
      logGroupName: `/aws/lambda/${pickWorkload(e).name}`,
      orderBy: 'LastEventTime',
      descending: true,
      limit: 50,
    }),
  },
  FilterLogEvents: {
    source: 'logs',
    name: 'FilterLogEvents',
    request: (e) => ({
      logGroupName: `/aws/lambda/${pickWorkload(e).name}`,
      startTime: DAY_START_MS + e.rng.int(0, 8) * HOUR,
      filterPattern: e.rng.pick(['ERROR', '"Task timed out"', '{ $.level = "error" }']),
      interleaved: true,
    }),
  },
  StartQuery: {
    source: 'logs',
    name: 'StartQuery',
    request: (e) => ({
      logGroupNames: [`/aws/lambda/${pickWorkload(e).name}`],
      startTime: Math.floor(DAY_START_MS / 1000),
      endTime: Math.floor(DAY_START_MS / 1000) + 86_400,
      queryString: 'fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 100',
    }),
  },
  DescribeAlarms: { source: 'monitoring', name: 'DescribeAlarms', request: () => ({ maxRecords: 100 }) },
  ListDashboards: { source: 'monitoring', name: 'ListDashboards', request: () => null },
  GetDashboard: {
    source: 'monitoring',
    name: 'GetDashboard',
    request: (e) => ({ dashboardName: `${e.rng.pick(stacksOf(e.team))}-overview` }),
  },
  DescribeStacks: {
    source: 'cloudformation',
    name: 'DescribeStacks',
    request: (e) => ({ stackName: e.rng.pick(stacksOf(e.team)) }),
  },
  ListStacks: {
    source: 'cloudformation',
    name: 'ListStacks',
    request: () => ({ stackStatusFilter: ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'] }),
  },
  DescribeStackEvents: {
    source: 'cloudformation',
    name: 'DescribeStackEvents',
    request: (e) => ({ stackName: e.rng.pick(stacksOf(e.team)) }),
  },
  ListBuckets: {
    source: 's3',
    name: 'ListBuckets',
    request: () => ({ Host: `s3.${HOME_REGION}.amazonaws.com` }),
  },
  GetBucketLocation: bucketRead('GetBucketLocation', 'location'),
  GetBucketPolicy: {
    ...bucketRead('GetBucketPolicy', 'policy'),
    error: (e) =>
      e.rng.chance(0.4) ? { code: 'NoSuchBucketPolicy', message: 'The bucket policy does not exist' } : undefined,
  },
  GetBucketPublicAccessBlock: bucketRead('GetBucketPublicAccessBlock', 'publicAccessBlock'),
  GetBucketEncryption: bucketRead('GetBucketEncryption', 'encryption'),
  GetBucketVersioning: bucketRead('GetBucketVersioning', 'versioning'),
  ListRoles: { source: 'iam', name: 'ListRoles', global: true, request: () => ({ maxItems: 1000 }) },
  GetRole: { source: 'iam', name: 'GetRole', global: true, request: (e) => ({ roleName: pickWorkload(e).role }) },
  ListAttachedRolePolicies: {
    source: 'iam',
    name: 'ListAttachedRolePolicies',
    global: true,
    request: (e) => ({ roleName: pickWorkload(e).role }),
  },
  ListRolePolicies: {
    source: 'iam',
    name: 'ListRolePolicies',
    global: true,
    request: (e) => ({ roleName: pickWorkload(e).role }),
  },
  ListUsers: { source: 'iam', name: 'ListUsers', global: true, request: () => null },
  GetAccountSummary: { source: 'iam', name: 'GetAccountSummary', global: true, request: () => null },
  ListPolicies: {
    source: 'iam',
    name: 'ListPolicies',
    global: true,
    request: () => ({ scope: 'Local', onlyAttached: false, maxItems: 100 }),
  },
  GetCredentialReport: { source: 'iam', name: 'GetCredentialReport', global: true, request: () => null },
  ListTables: { source: 'dynamodb', name: 'ListTables', request: () => null },
  DescribeTable: {
    source: 'dynamodb',
    name: 'DescribeTable',
    request: (e) => ({ tableName: e.rng.pick(tablesOf(e.team)) }),
  },
  DescribeDBInstances: { source: 'rds', name: 'DescribeDBInstances', request: () => null },
  DescribeDBClusters: { source: 'rds', name: 'DescribeDBClusters', request: () => ({ includeShared: false }) },
  ListAliases: { source: 'kms', name: 'ListAliases', request: () => ({ limit: 100 }) },
  DescribeKey: {
    source: 'kms',
    name: 'DescribeKey',
    request: (e) => ({ keyId: pickWorkload(e).kmsKey }),
  },
  GetCallerIdentity: { source: 'sts', name: 'GetCallerIdentity', request: () => null },
  DescribeEventAggregates: {
    source: 'health',
    name: 'DescribeEventAggregates',
    global: true,
    request: () => ({ aggregateField: 'eventTypeCategory', filter: { eventStatusCodes: ['open', 'upcoming'] } }),
  },
  GetCostAndUsage: {
    source: 'ce',
    name: 'GetCostAndUsage',
    global: true,
    request: () => ({
      timePeriod: { start: '2026-10-01', end: '2026-11-02' },
      granularity: 'DAILY',
      metrics: ['UnblendedCost'],
      groupBy: [{ type: 'DIMENSION', key: 'SERVICE' }],
    }),
  },
  LookupEvents: {
    source: 'cloudtrail',
    name: 'LookupEvents',
    request: (e) => ({
      maxResults: 50,
      lookupAttributes: [{ attributeKey: 'ReadOnly', attributeValue: 'false' }],
      startTime: awsDate(DAY_START_MS + e.rng.int(0, 6) * HOUR),
    }),
  },
  DescribeTrails: { source: 'cloudtrail', name: 'DescribeTrails', request: () => ({ includeShadowTrails: true }) },
  GetTrailStatus: { source: 'cloudtrail', name: 'GetTrailStatus', request: (e) => ({ name: trailArn(e.account) }) },
  GetEventSelectors: {
    source: 'cloudtrail',
    name: 'GetEventSelectors',
    request: (e) => ({ trailName: trailArn(e.account) }),
  },
  ListDetectors: { source: 'guardduty', name: 'ListDetectors', request: () => null },
  ListFindings: {
    source: 'guardduty',
    name: 'ListFindings',
    request: (e) => ({
      detectorId: rngFrom('gd', e.account).hex(32),
      findingCriteria: { criterion: { 'service.archived': { eq: ['false'] } } },
      maxResults: 50,
    }),
  },
  GetFindingsGuardDuty: {
    source: 'guardduty',
    name: 'GetFindings',
    request: (e) => ({ detectorId: rngFrom('gd', e.account).hex(32), findingIds: [e.rng.hex(32), e.rng.hex(32)] }),
  },
  GetFindingsSecurityHub: {
    source: 'securityhub',
    name: 'GetFindings',
    request: () => ({
      filters: { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }] },
      maxResults: 100,
    }),
  },
  DescribeConfigurationRecorderStatus: {
    source: 'config',
    name: 'DescribeConfigurationRecorderStatus',
    request: () => ({}),
  },
  DescribeComplianceByConfigRule: { source: 'config', name: 'DescribeComplianceByConfigRule', request: () => ({}) },
  ListAnalyzers: { source: 'access-analyzer', name: 'ListAnalyzers', request: () => null },
};

const read = (name: string): Read => {
  const r = READS[name];
  if (r === undefined) throw new Error(`no read call ${name}`);
  return r;
};

const PALETTES = {
  platform: [
    'DescribeInstances',
    'DescribeSecurityGroups',
    'DescribeSecurityGroupRules',
    'DescribeVpcs',
    'DescribeSubnets',
    'DescribeLoadBalancers',
    'DescribeTargetHealth',
    'ListFunctions',
    'GetFunction',
    'DescribeLogGroups',
    'FilterLogEvents',
    'DescribeAlarms',
    'GetDashboard',
    'DescribeStacks',
    'ListStacks',
    'DescribeStackEvents',
    'ListBuckets',
    'GetBucketPolicy',
    'GetBucketEncryption',
    'ListRoles',
    'GetRole',
    'ListAttachedRolePolicies',
    'DescribeTable',
    'DescribeDBClusters',
    'ListAliases',
    'DescribeEventAggregates',
    'GetCostAndUsage',
  ],
  developer: [
    'ListFunctions',
    'GetFunction',
    'GetFunctionConfiguration',
    'DescribeLogGroups',
    'DescribeLogStreams',
    'FilterLogEvents',
    'StartQuery',
    'DescribeAlarms',
    'ListDashboards',
    'GetDashboard',
    'DescribeStacks',
    'DescribeStackEvents',
    'ListTables',
    'DescribeTable',
    'ListBuckets',
    'GetBucketLocation',
    'DescribeInstances',
    'GetCallerIdentity',
  ],
  security: [
    'LookupEvents',
    'DescribeTrails',
    'GetTrailStatus',
    'GetEventSelectors',
    'ListDetectors',
    'ListFindings',
    'GetFindingsGuardDuty',
    'GetFindingsSecurityHub',
    'DescribeConfigurationRecorderStatus',
    'DescribeComplianceByConfigRule',
    'ListAnalyzers',
    'ListUsers',
    'GetAccountSummary',
    'ListPolicies',
    'GetCredentialReport',
    'ListRoles',
    'ListAttachedRolePolicies',
    'ListRolePolicies',
    'GetBucketPolicy',
    'GetBucketPublicAccessBlock',
    'DescribeSecurityGroups',
    'DescribeKey',
  ],
  cli: [
    'DescribeInstances',
    'ListBuckets',
    'GetBucketLocation',
    'GetBucketVersioning',
    'ListFunctions',
    'GetFunction',
    'FilterLogEvents',
    'DescribeLogStreams',
    'DescribeStacks',
    'GetCallerIdentity',
    'DescribeTable',
    'DescribeVolumes',
  ],
} as const satisfies Record<string, readonly string[]>;
type Palette = keyof typeof PALETTES;

const kebab = (name: string): string =>
  name
    .replace(/20150331(v2)?$/, '')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();

/** One read call: the console, or the CLI naming the command it ran. */
const readCall = (ctx: Ctx, actor: Actor, t: number, r: Read, env: ReadEnv, cli: boolean): void => {
  const agent = cli
    ? awsCli(`${r.source}.${kebab(r.name)}`)
    : actor.console
      ? (r.consoleAgent ?? actor.userAgent)
      : actor.userAgent;
  const error = r.error?.(env);
  const region = r.global ? GLOBAL_REGION : HOME_REGION;
  call(ctx, withAgent(actor, agent), t, {
    source: `${r.source}.amazonaws.com`,
    name: r.name,
    region,
    request: r.request(env),
    readOnly: true,
    ...(r.source === 's3' ? { additional: s3Extra(ctx.rng) } : {}),
    ...(error ? { error } : {}),
  });
};

/** Someone clicking around: pages fire a few calls at once, then a pause to read. Returns the end time. */
const browse = (
  ctx: Ctx,
  actor: Actor,
  env: ReadEnv,
  start: number,
  count: number,
  palette: Palette,
  cli = false,
): number => {
  let t = start;
  let left = count;
  while (left > 0) {
    const burst = Math.min(left, cli ? 1 : ctx.rng.int(1, 4));
    for (let i = 0; i < burst; i++) readCall(ctx, actor, t + i * 300, read(ctx.rng.pick(PALETTES[palette])), env, cli);
    left -= burst;
    t += ctx.rng.int(4, 75) * 1000;
  }
  return t;
};

// -------------------------------------------------------------------------------------------- sign-in

const LOGIN_TO = `https://${HOME_REGION}.console.aws.amazon.com/console/home?region=${HOME_REGION}&state=hashArgs%23&isauthcode=true`;

export const samlProvider = (account: string): string =>
  `arn:aws:iam::${account}:saml-provider/AWSSSO_${rngFrom('saml', account).hex(16)}_DO_NOT_DELETE`;
const idpId = (account: string): string =>
  `${rngFrom('idp', account).chars(27, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}=`;

/** SSO into the console: STS AssumeRoleWithSAML, then the console sign-in. Returns the console session. */
export const ssoSignIn = (ctx: Ctx, p: Person, grant: SsoGrant, t: number): Actor => {
  const session = ssoConsole(p, grant, t, ctx.rng);
  const role = roleArn(grant.account, ssoRole(grant.account, grant.set), SSO_PATH);
  const idp = idpId(grant.account);
  const roleId = stableId('AROA', role);
  call(
    ctx,
    {
      account: grant.account,
      identity: { type: 'SAMLUser', principalId: `${idp}:${p.email}`, userName: p.email, identityProvider: idp },
      sourceIp: p.ip,
      userAgent: p.browser,
    },
    t,
    {
      source: 'sts.amazonaws.com',
      name: 'AssumeRoleWithSAML',
      region: GLOBAL_REGION,
      request: {
        sAMLAssertionID: `_${ctx.rng.uuid()}`,
        roleSessionName: p.email,
        roleArn: role,
        principalArn: samlProvider(grant.account),
        durationSeconds: 43_200,
      },
      response: {
        credentials: { accessKeyId: String(session.identity.accessKeyId), expiration: awsDate(t + 12 * HOUR) },
        assumedRoleUser: {
          assumedRoleId: `${roleId}:${p.email}`,
          arn: `arn:aws:sts::${grant.account}:assumed-role/${ssoRole(grant.account, grant.set)}/${p.email}`,
        },
        subject: p.email,
        subjectType: 'persistent',
        issuer: `https://portal.sso.${HOME_REGION}.amazonaws.com/saml/assertion/${rngFrom('issuer', grant.account).chars(48, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
        audience: 'https://signin.aws.amazon.com/saml',
        nameQualifier: idp,
      },
      readOnly: true,
      resources: [
        roleResource(grant.account, role),
        { accountId: grant.account, type: 'AWS::IAM::SAMLProvider', ARN: samlProvider(grant.account) },
      ],
    },
  );
  const { accessKeyId: _key, ...loginIdentity } = session.identity;
  call(ctx, { ...session, identity: loginIdentity, userAgent: p.browser, console: false }, t + 2000, {
    source: 'signin.amazonaws.com',
    name: 'ConsoleLogin',
    region: GLOBAL_REGION,
    response: { ConsoleLogin: 'Success' },
    additional: {
      LoginTo: LOGIN_TO,
      MobileVersion: 'No',
      MFAUsed: 'No',
      SamlProviderArn: samlProvider(grant.account),
    },
    eventType: 'AwsConsoleSignIn',
    requestID: null,
  });
  return session;
};

/** A failed console sign-in of an IAM user: CloudTrail names the user but gives no ARN. */
export const failedLogin = (
  ctx: Ctx,
  account: string,
  userName: string,
  sourceIp: string,
  userAgent: string,
  t: number,
): void => {
  const hidden = userName === 'HIDDEN_DUE_TO_SECURITY_REASONS';
  call(
    ctx,
    {
      account,
      identity: {
        type: 'IAMUser',
        ...(hidden ? {} : { principalId: stableId('AIDA', `arn:aws:iam::${account}:user/${userName}`) }),
        accountId: account,
        accessKeyId: '',
        userName,
      },
      sourceIp,
      userAgent,
    },
    t,
    {
      source: 'signin.amazonaws.com',
      name: 'ConsoleLogin',
      region: GLOBAL_REGION,
      error: { message: hidden ? 'No username found in supplied account' : 'Failed authentication' },
      response: { ConsoleLogin: 'Failure' },
      additional: { LoginTo: LOGIN_TO, MobileVersion: 'No', MFAUsed: 'No' },
      eventType: 'AwsConsoleSignIn',
      requestID: null,
    },
  );
};

/** An IAM user signs in with MFA: CheckMfa, then ConsoleLogin. Returns the console session. */
const iamSignIn = (ctx: Ctx, p: Person, t: number): Actor => {
  const session = iamUserConsole(p, t + 9000, ctx.rng);
  const account = session.account;
  const signinIdentity = {
    type: 'IAMUser',
    principalId: session.identity.principalId,
    accountId: account,
    accessKeyId: '',
    userName: p.name,
  };
  call(ctx, { account, identity: signinIdentity, sourceIp: p.ip, userAgent: p.browser }, t, {
    source: 'signin.amazonaws.com',
    name: 'CheckMfa',
    region: GLOBAL_REGION,
    response: { CheckMfa: 'Success' },
    additional: { MfaType: 'Virtual MFA' },
    eventType: 'AwsConsoleSignIn',
    requestID: null,
  });
  const { accessKeyId: _key, sessionContext: _session, ...loginIdentity } = session.identity;
  call(ctx, { account, identity: loginIdentity, sourceIp: p.ip, userAgent: p.browser }, t + 9000, {
    source: 'signin.amazonaws.com',
    name: 'ConsoleLogin',
    region: GLOBAL_REGION,
    response: { ConsoleLogin: 'Success' },
    additional: {
      LoginTo: LOGIN_TO,
      MobileVersion: 'No',
      MFAIdentifier: `arn:aws:iam::${account}:mfa/${p.name}-phone`,
      MFAUsed: 'Yes',
    },
    eventType: 'AwsConsoleSignIn',
    requestID: null,
  });
  return session;
};

// ------------------------------------------------------------------------------------------ activities

const grantFor = (p: Person, account: string, set?: SsoGrant['set']): SsoGrant => {
  const grant = p.sso.find((g) => g.account === account && (set === undefined || g.set === set));
  if (grant === undefined) throw new Error(`${p.name} has no SSO access to ${account}`);
  return grant;
};

const ssoConsoleSession = (
  t: Team,
  p: Person,
  grant: SsoGrant,
  start: number,
  reads: readonly [number, number],
  palette: Palette,
  key: string,
): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const session = ssoSignIn(ctx, p, grant, start);
    const env = { rng: ctx.rng, account: grant.account, team: t };
    const end = browse(ctx, session, env, start + 8000, ctx.rng.int(reads[0], reads[1]), palette);
    // A read-only role meets the limits of read-only now and then.
    if (grant.set === 'ReadOnlyAccess') {
      const w = ctx.rng.pick(workloadsIn(t, grant.account));
      const secret = secretArn(w, ctx.rng);
      call(ctx, withAgent(session, 'AWS Internal'), end, {
        source: 'secretsmanager.amazonaws.com',
        name: 'GetSecretValue',
        region: HOME_REGION,
        request: { secretId: secret },
        readOnly: true,
        error: {
          code: 'AccessDenied',
          message: `User: ${String(session.identity.arn)} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secret} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
        },
      });
    }
  },
});

const ssoCliSession = (
  t: Team,
  p: Person,
  grant: SsoGrant,
  start: number,
  commands: number,
  key: string,
): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const actor = ssoCli(p, grant, start - ctx.rng.int(60, 3600) * 1000, ctx.rng, 'sts.get-caller-identity');
    browse(ctx, actor, { rng: ctx.rng, account: grant.account, team: t }, start, commands, 'cli', true);
  },
});

const iamConsoleSession = (
  t: Team,
  p: Person,
  start: number,
  reads: number,
  failFirst: boolean,
  key: string,
): Activity => ({
  key,
  at: failFirst ? start - 40_000 : start,
  run: (ctx) => {
    const account = p.iamUser?.account ?? DEV;
    // Mistyped the password once; the second try works.
    if (failFirst) failedLogin(ctx, account, p.name, p.ip, p.browser, start - 40_000);
    const session = iamSignIn(ctx, p, start);
    browse(ctx, session, { rng: ctx.rng, account, team: t }, start + 15_000, reads, 'developer');
  },
});

const iamCliSession = (t: Team, p: Person, start: number, commands: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const account = p.iamUser?.account ?? DEV;
    browse(
      ctx,
      iamUserCli(p, 'sts.get-caller-identity'),
      { rng: ctx.rng, account, team: t },
      start,
      commands,
      'cli',
      true,
    );
  },
});

/** Mistyped account alias on the IAM sign-in page: the user name does not exist in that account. */
const hiddenUserFailure = (p: Person, account: string, t0: number, key: string): Activity => ({
  key,
  at: t0,
  run: (ctx) => failedLogin(ctx, account, 'HIDDEN_DUE_TO_SECURITY_REASONS', p.ip, p.browser, t0),
});

// ---------------------------------------------------------------------------------------------- deploys

export type DeployVariant = 'code' | 'iam-inline' | 'iam-role' | 'network' | 'bucket' | 'policy' | 'trust';

const lambdaTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const inlinePolicy = (w: Workload, tableArn: string, secret: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        Effect: 'Allow',
        Resource: [tableArn, `${tableArn}/index/*`],
      },
      { Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: secret },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: w.kmsKey },
      { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' },
    ],
  });

const sgPermission = (
  port: number,
  source: { readonly cidr?: string; readonly cidr6?: string; readonly group?: string },
  description: string,
): JsonRecord => ({
  ipProtocol: 'tcp',
  fromPort: port,
  toPort: port,
  groups: source.group ? { items: [{ groupId: source.group, description }] } : {},
  ipRanges: source.cidr ? { items: [{ cidrIp: source.cidr, description }] } : {},
  ipv6Ranges: source.cidr6 ? { items: [{ cidrIpv6: source.cidr6, description }] } : {},
  prefixListIds: {},
});

/** What EC2 echoes for a rule it added. */
export const sgRuleEcho = (
  rng: Rng,
  account: string,
  groupId: string,
  port: number,
  egress: boolean,
  source: { readonly cidr?: string; readonly cidr6?: string; readonly group?: string },
  description?: string,
): JsonRecord => ({
  groupOwnerId: account,
  groupId,
  securityGroupRuleId: `sgr-${rng.hex(17)}`,
  isEgress: egress,
  ipProtocol: 'tcp',
  fromPort: port,
  toPort: port,
  ...(source.cidr ? { cidrIpv4: source.cidr } : {}),
  ...(source.cidr6 ? { cidrIpv6: source.cidr6 } : {}),
  ...(source.group ? { referencedGroupInfo: { groupId: source.group, userId: account } } : {}),
  ...(description ? { description } : {}),
});

export const authorizeIngress = (
  ctx: Ctx,
  actor: Actor,
  t: number,
  groupId: string,
  port: number,
  source: { readonly cidr?: string; readonly cidr6?: string; readonly group?: string },
  description: string,
  egress = false,
): void => {
  const requestId = ctx.rng.uuid();
  call(ctx, actor, t, {
    source: 'ec2.amazonaws.com',
    name: egress ? 'AuthorizeSecurityGroupEgress' : 'AuthorizeSecurityGroupIngress',
    region: HOME_REGION,
    request: { groupId, ipPermissions: { items: [sgPermission(port, source, description)] } },
    response: {
      requestId,
      _return: true,
      securityGroupRuleSet: {
        items: [sgRuleEcho(ctx.rng, actor.account, groupId, port, egress, source, description)],
      },
    },
    requestID: requestId,
  });
};

/** The resource changes CloudFormation makes with the CDK execution role, one kind of change per deploy. */
const cfnChanges = (
  ctx: Ctx,
  t: Team,
  account: string,
  stack: string,
  variant: DeployVariant,
  start: number,
): number => {
  const rng = ctx.rng;
  const exec = cfnExec(account, start - 2000, rng);
  let time = start;
  const step = () => {
    time += rng.int(3, 25) * 1000;
    return time;
  };
  const w = rng.pick(workloadsIn(t, account));
  const tableArn = `arn:aws:dynamodb:${HOME_REGION}:${account}:table/${rng.pick(tablesOf(t))}`;
  const iamCall = (name: string, request: JsonRecord, response: JsonRecord | null = null) =>
    call(ctx, exec, step(), { source: 'iam.amazonaws.com', name, region: GLOBAL_REGION, request, response });
  switch (variant) {
    case 'code': {
      for (const fn of workloadsIn(t, account).slice(0, 2)) {
        const functionArn = `arn:aws:lambda:${HOME_REGION}:${account}:function:${fn.name}`;
        call(ctx, exec, step(), {
          source: 'lambda.amazonaws.com',
          name: 'UpdateFunctionCode20150331v2',
          region: HOME_REGION,
          request: {
            functionName: fn.name,
            s3Bucket: `cdk-hnb659fds-assets-${account}-${HOME_REGION}`,
            s3Key: `${rng.hex(64)}.zip`,
            publish: false,
            dryRun: false,
          },
          response: {
            functionName: fn.name,
            functionArn,
            runtime: 'nodejs22.x',
            role: roleArn(account, fn.role),
            handler: 'index.handler',
            codeSize: rng.int(80_000, 900_000),
            timeout: 30,
            memorySize: 512,
            lastModified: `${iso(time).replace('Z', '')}.000+0000`,
            state: 'Active',
            lastUpdateStatus: 'InProgress',
            packageType: 'Zip',
            architectures: ['arm64'],
          },
        });
      }
      break;
    }
    case 'iam-inline': {
      iamCall('PutRolePolicy', {
        roleName: w.role,
        policyName: `${w.name.replace(/-/g, '')}RoleDefaultPolicy${rng.hex(8).toUpperCase()}`,
        policyDocument: inlinePolicy(w, tableArn, secretArn(w, rng)),
      });
      break;
    }
    case 'iam-role': {
      const roleName = `${stack}-${w.name.replace(/-/g, '')}ServiceRole${alnum(rng, 12)}`;
      iamCall(
        'CreateRole',
        {
          roleName,
          assumeRolePolicyDocument: lambdaTrust,
          tags: [{ key: 'aws-cdk:stack', value: stack }],
        },
        {
          role: {
            path: '/',
            roleName,
            roleId: stableId('AROA', roleName),
            arn: roleArn(account, roleName),
            createDate: awsDate(time),
            assumeRolePolicyDocument: encodeURIComponent(lambdaTrust),
            tags: [{ key: 'aws-cdk:stack', value: stack }],
          },
        },
      );
      iamCall('AttachRolePolicy', {
        roleName,
        policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      });
      iamCall('PutRolePolicy', {
        roleName,
        policyName: `${roleName.slice(0, 40)}DefaultPolicy`,
        policyDocument: inlinePolicy(w, tableArn, secretArn(w, rng)),
      });
      break;
    }
    case 'network': {
      // The load balancer's security group is replaced: a new one open on 80/443, the old one deleted.
      const alb = sgId(account, `${stack}/alb/${rng.hex(6)}`);
      const requestId = rng.uuid();
      call(ctx, exec, step(), {
        source: 'ec2.amazonaws.com',
        name: 'CreateSecurityGroup',
        region: HOME_REGION,
        request: {
          groupName: `${stack}-AlbSecurityGroup${alnum(rng, 12).toUpperCase()}`,
          groupDescription: `${stack}/Alb/SecurityGroup`,
          vpcId: `vpc-${rngFrom('vpc', account).hex(17)}`,
        },
        response: { requestId, _return: true, groupId: alb },
        requestID: requestId,
      });
      authorizeIngress(ctx, exec, step(), alb, 443, { cidr: '0.0.0.0/0' }, 'Allow from anyone on port 443');
      authorizeIngress(ctx, exec, step(), alb, 443, { cidr6: '::/0' }, 'Allow from anyone on port 443');
      authorizeIngress(ctx, exec, step(), alb, 80, { cidr: '0.0.0.0/0' }, 'Allow from anyone on port 80');
      authorizeIngress(ctx, exec, step(), t.appSg(account), 8080, { group: alb }, 'Load balancer to target');
      authorizeIngress(ctx, exec, step(), alb, 8080, { group: t.appSg(account) }, 'Load balancer to target', true);
      const deleteId = rng.uuid();
      call(ctx, exec, step() + 60_000, {
        source: 'ec2.amazonaws.com',
        name: 'DeleteSecurityGroup',
        region: HOME_REGION,
        request: { groupId: t.albSg(account) },
        response: { requestId: deleteId, _return: true },
        requestID: deleteId,
      });
      break;
    }
    case 'bucket': {
      const bucket = `${stack.toLowerCase()}-exports-${rng.hex(8)}`;
      const s3 = (name: string, request: JsonRecord) =>
        call(ctx, exec, step(), {
          source: 's3.amazonaws.com',
          name,
          region: HOME_REGION,
          request: { bucketName: bucket, Host: s3Host(bucket), ...request },
          additional: s3Extra(rng),
          resources: [{ accountId: account, type: 'AWS::S3::Bucket', ARN: bucketArn(bucket) }],
        });
      s3('CreateBucket', {
        CreateBucketConfiguration: {
          LocationConstraint: HOME_REGION,
          xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
        },
      });
      s3('PutBucketEncryption', {
        ServerSideEncryptionConfiguration: {
          xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
          Rule: {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: w.kmsKey },
            BucketKeyEnabled: true,
          },
        },
        encryption: '',
      });
      s3('PutBucketPublicAccessBlock', {
        PublicAccessBlockConfiguration: {
          xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
          RestrictPublicBuckets: true,
          BlockPublicPolicy: true,
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
        },
        publicAccessBlock: '',
      });
      s3('PutBucketVersioning', {
        VersioningConfiguration: { Status: 'Enabled', xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
        versioning: '',
      });
      // CDK's enforceSSL: a Deny for everyone over plain HTTP. `Principal: *` in a Deny opens nothing.
      s3('PutBucketPolicy', {
        bucketPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: [bucketArn(bucket), `${bucketArn(bucket)}/*`],
            },
          ],
        },
        policy: '',
      });
      break;
    }
    case 'policy': {
      const policyArn = `arn:aws:iam::${account}:policy/${stack}-ReadReports`;
      const version = rng.int(3, 9);
      iamCall(
        'CreatePolicyVersion',
        {
          policyArn,
          policyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['s3:GetObject', 's3:ListBucket'],
                Resource: [
                  bucketArn(`orders-data${t.suffix}-${account}`),
                  `${bucketArn(`orders-data${t.suffix}-${account}`)}/reports/*`,
                ],
              },
              { Effect: 'Allow', Action: ['athena:GetQueryExecution', 'athena:GetQueryResults'], Resource: '*' },
            ],
          }),
          setAsDefault: true,
        },
        { policyVersion: { versionId: `v${version}`, isDefaultVersion: true, createDate: awsDate(time) } },
      );
      iamCall('DeletePolicyVersion', { policyArn, versionId: `v${version - 2}` });
      break;
    }
    case 'trust': {
      iamCall('UpdateAssumeRolePolicy', {
        roleName: w.role,
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': account } },
            },
          ],
        }),
      });
      break;
    }
  }
  return time;
};

/** GitHub Actions → OIDC → `cdk deploy` (deploy role) → CloudFormation (execution role). */
export const deploy = (t: Team, account: string, variant: DeployVariant, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const rng = ctx.rng;
    const stack = rng.pick(stacksOf(t));
    const repo = `example-org/${stack.toLowerCase()}`;
    const runnerIp = `198.51.100.${rng.int(10, 60)}`;
    const oidc = `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
    const subject = `repo:${repo}:ref:refs/heads/main`;
    const ghRole = roleArn(account, GITHUB_ROLE);
    const ghKey = accessKey(rng);
    call(
      ctx,
      {
        account,
        identity: {
          type: 'WebIdentityUser',
          principalId: `${oidc}:sts.amazonaws.com:${subject}`,
          userName: subject,
          identityProvider: oidc,
        },
        sourceIp: runnerIp,
        userAgent: githubActionSdk,
      },
      start,
      {
        source: 'sts.amazonaws.com',
        name: 'AssumeRoleWithWebIdentity',
        region: HOME_REGION,
        request: { roleArn: ghRole, roleSessionName: 'GitHubActions', durationSeconds: 3600 },
        response: {
          credentials: { accessKeyId: ghKey, expiration: awsDate(start + HOUR) },
          subjectFromWebIdentityToken: subject,
          assumedRoleUser: {
            assumedRoleId: `${stableId('AROA', ghRole)}:GitHubActions`,
            arn: `arn:aws:sts::${account}:assumed-role/${GITHUB_ROLE}/GitHubActions`,
          },
          provider: oidc,
          audience: 'sts.amazonaws.com',
        },
        readOnly: true,
        resources: [roleResource(account, ghRole), { accountId: account, type: 'AWS::IAM::OIDCProvider', ARN: oidc }],
      },
    );
    const gh: Actor = {
      account,
      identity: roleSession(account, GITHUB_ROLE, 'GitHubActions', { createdMs: start, accessKeyId: ghKey }),
      sourceIp: runnerIp,
      userAgent: cdkCli('sts'),
    };
    let time = start + rng.int(40, 120) * 1000;
    const assume = (role: string): Actor => {
      const arn = roleArn(account, role);
      const key = accessKey(rng);
      call(ctx, gh, time, {
        source: 'sts.amazonaws.com',
        name: 'AssumeRole',
        region: HOME_REGION,
        request: { roleArn: arn, roleSessionName: 'aws-cdk-runner', durationSeconds: 3600 },
        response: {
          credentials: { accessKeyId: key, expiration: awsDate(time + HOUR) },
          assumedRoleUser: {
            assumedRoleId: `${stableId('AROA', arn)}:aws-cdk-runner`,
            arn: `arn:aws:sts::${account}:assumed-role/${role}/aws-cdk-runner`,
          },
        },
        readOnly: true,
        resources: [roleResource(account, arn)],
      });
      time += 1500;
      return {
        account,
        identity: roleSession(account, role, 'aws-cdk-runner', { createdMs: time, accessKeyId: key }),
        sourceIp: runnerIp,
        userAgent: cdkCli('cloudformation'),
      };
    };
    assume(cdkFilePublishingRole(account));
    const deployer = assume(cdkDeployRole(account));
    const cfn = (name: string, request: JsonRecord, response: JsonRecord | null = null, readOnly = true) =>
      call(ctx, deployer, time, {
        source: 'cloudformation.amazonaws.com',
        name,
        region: HOME_REGION,
        request,
        response,
        readOnly,
      });
    call(ctx, withAgent(deployer, cdkCli('ssm')), time, {
      source: 'ssm.amazonaws.com',
      name: 'GetParameter',
      region: HOME_REGION,
      request: { name: '/cdk-bootstrap/hnb659fds/version' },
      readOnly: true,
    });
    time += 800;
    cfn('DescribeStacks', { stackName: stack });
    time += 700;
    cfn('GetTemplate', { stackName: stack, templateStage: 'Original' });
    time += rng.int(5, 20) * 1000;
    const stackId = `arn:aws:cloudformation:${HOME_REGION}:${account}:stack/${stack}/${rngFrom('stack', account, stack).uuid()}`;
    const changeSet = `arn:aws:cloudformation:${HOME_REGION}:${account}:changeSet/cdk-deploy-change-set/${rng.uuid()}`;
    cfn(
      'CreateChangeSet',
      {
        stackName: stack,
        templateURL: `https://s3.${HOME_REGION}.amazonaws.com/cdk-hnb659fds-assets-${account}-${HOME_REGION}/${rng.hex(64)}.json`,
        capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        roleARN: roleArn(account, cfnExecRole(account)),
        changeSetName: 'cdk-deploy-change-set',
        description: `CDK Changeset for execution ${rng.uuid()}`,
        changeSetType: 'UPDATE',
        parameters: [{ parameterKey: 'BootstrapVersion', parameterValue: '/cdk-bootstrap/hnb659fds/version' }],
      },
      { id: changeSet, stackId },
      false,
    );
    for (let i = rng.int(2, 4); i > 0; i--) {
      time += rng.int(2, 6) * 1000;
      cfn('DescribeChangeSet', { changeSetName: 'cdk-deploy-change-set', stackName: stack });
    }
    time += 1200;
    cfn('ExecuteChangeSet', { changeSetName: 'cdk-deploy-change-set', stackName: stack }, null, false);
    // CloudFormation takes the execution role (recorded as the deploy role's call, invoked by CloudFormation).
    const execArn = roleArn(account, cfnExecRole(account));
    call(
      ctx,
      serviceActor(
        account,
        { ...deployer.identity, invokedBy: 'cloudformation.amazonaws.com' },
        'cloudformation.amazonaws.com',
      ),
      time + 1000,
      {
        source: 'sts.amazonaws.com',
        name: 'AssumeRole',
        region: HOME_REGION,
        request: { roleArn: execArn, roleSessionName: 'AWSCloudFormation', durationSeconds: 3600 },
        response: {
          credentials: stsCredentials(rng, time),
          assumedRoleUser: {
            assumedRoleId: `${stableId('AROA', execArn)}:AWSCloudFormation`,
            arn: `arn:aws:sts::${account}:assumed-role/${cfnExecRole(account)}/AWSCloudFormation`,
          },
        },
        readOnly: true,
        resources: [roleResource(account, execArn)],
      },
    );
    const changesEnd = cfnChanges(ctx, t, account, stack, variant, time + 3000);
    // The CLI polls stack events until the update completes.
    for (let poll = time + 2000; poll < changesEnd + 15_000; poll += rng.int(5, 9) * 1000) {
      call(ctx, deployer, poll, {
        source: 'cloudformation.amazonaws.com',
        name: 'DescribeStackEvents',
        region: HOME_REGION,
        request: { stackName: stackId },
        readOnly: true,
      });
    }
    call(ctx, deployer, changesEnd + 16_000, {
      source: 'cloudformation.amazonaws.com',
      name: 'DescribeStacks',
      region: HOME_REGION,
      request: { stackName: stack },
      readOnly: true,
    });
  },
});

// -------------------------------------------------------------------------------------------- workloads

/** A Lambda cold start: Lambda assumes the execution role, the function reads its config and secret. */
const coldStart = (w: Workload, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const rng = ctx.rng;
    const arn = roleArn(w.account, w.role);
    call(ctx, service(w.account, 'lambda.amazonaws.com'), start, {
      source: 'sts.amazonaws.com',
      name: 'AssumeRole',
      region: HOME_REGION,
      request: { roleArn: arn, roleSessionName: w.name },
      response: {
        credentials: stsCredentials(rng, start, 12),
        assumedRoleUser: {
          assumedRoleId: `${stableId('AROA', arn)}:${w.name}`,
          arn: `arn:aws:sts::${w.account}:assumed-role/${w.role}/${w.name}`,
        },
      },
      readOnly: true,
      resources: [roleResource(w.account, arn)],
      sharedEventID: rng.uuid(),
    });
    const fn = lambdaRole(w, start, rng, 'ssm');
    const t0 = start + rng.int(300, 900);
    call(ctx, fn, t0, {
      source: 'ssm.amazonaws.com',
      name: 'GetParameters',
      region: HOME_REGION,
      request: { names: [...w.parameters], withDecryption: true },
      readOnly: true,
    });
    const viaSsm = serviceActor(w.account, { ...fn.identity, invokedBy: 'ssm.amazonaws.com' }, 'ssm.amazonaws.com');
    const ssmKey = `arn:aws:kms:${HOME_REGION}:${w.account}:key/${rngFrom('kms', w.account, 'aws/ssm').uuid()}`;
    call(ctx, viaSsm, t0 + 40, {
      source: 'kms.amazonaws.com',
      name: 'Decrypt',
      region: HOME_REGION,
      request: {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: {
          PARAMETER_ARN: `arn:aws:ssm:${HOME_REGION}:${w.account}:parameter${w.parameters[0] ?? '/config'}`,
        },
      },
      readOnly: true,
      resources: [{ accountId: w.account, type: 'AWS::KMS::Key', ARN: ssmKey }],
    });
    const secret = secretArn(w, rng);
    call(ctx, withAgent(fn, fn.userAgent.replace('api/ssm', 'api/secrets-manager')), t0 + 200, {
      source: 'secretsmanager.amazonaws.com',
      name: 'GetSecretValue',
      region: HOME_REGION,
      request: { secretId: w.secret },
      readOnly: true,
    });
    const viaSecrets = serviceActor(
      w.account,
      { ...fn.identity, invokedBy: 'secretsmanager.amazonaws.com' },
      'secretsmanager.amazonaws.com',
    );
    call(ctx, viaSecrets, t0 + 230, {
      source: 'kms.amazonaws.com',
      name: 'Decrypt',
      region: HOME_REGION,
      request: {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: { SecretARN: secret, SecretVersionId: rngFrom('secret', w.secret).uuid() },
      },
      readOnly: true,
      resources: [{ accountId: w.account, type: 'AWS::KMS::Key', ARN: w.kmsKey }],
    });
  },
});

/** Envelope encryption inside the application: the function's role calls KMS itself. */
const dataKeyCalls = (w: Workload, start: number, count: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const fn = lambdaRole(w, start - ctx.rng.int(1, 30) * MINUTE, ctx.rng, 'kms');
    let time = start;
    for (let i = 0; i < count; i++) {
      call(ctx, fn, time, {
        source: 'kms.amazonaws.com',
        name: ctx.rng.chance(0.7) ? 'Decrypt' : 'GenerateDataKey',
        region: HOME_REGION,
        request: {
          keyId: w.kmsKey,
          encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          encryptionContext: { service: w.name, tenant: `t-${ctx.rng.int(1000, 9999)}` },
        },
        readOnly: true,
        resources: [{ accountId: w.account, type: 'AWS::KMS::Key', ARN: w.kmsKey }],
      });
      time += ctx.rng.int(200, 20_000);
    }
  },
});

/** The nightly report: Athena queries, and a cross-account read of dev metrics (recorded in both accounts). */
const nightlyReport = (t: Team, w: Workload, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const rng = ctx.rng;
    const fn = lambdaRole(w, start - 2000, rng, 'athena');
    const workGroup = `reports${t.suffix}`;
    let time = start;
    for (let q = rng.int(2, 4); q > 0; q--) {
      const queryId = rng.uuid();
      call(ctx, fn, time, {
        source: 'athena.amazonaws.com',
        name: 'StartQueryExecution',
        region: HOME_REGION,
        request: {
          queryString: `SELECT order_date, count(*) FROM orders${t.suffix}_${rng.pick(['daily', 'by_region', 'refunds'])} WHERE order_date = date '2026-11-01' GROUP BY 1`,
          clientRequestToken: rng.uuid(),
          queryExecutionContext: { database: 'analytics', catalog: 'AwsDataCatalog' },
          workGroup,
        },
        response: { queryExecutionId: queryId },
      });
      for (let p = rng.int(2, 6); p > 0; p--) {
        time += rng.int(1, 4) * 1000;
        call(ctx, fn, time, {
          source: 'athena.amazonaws.com',
          name: 'GetQueryExecution',
          region: HOME_REGION,
          request: { queryExecutionId: queryId },
          readOnly: true,
        });
      }
      call(ctx, fn, time + 500, {
        source: 'athena.amazonaws.com',
        name: 'GetQueryResults',
        region: HOME_REGION,
        request: { queryExecutionId: queryId, maxResults: 1000 },
        readOnly: true,
      });
      time += rng.int(5, 30) * 1000;
    }
    // Cross-account AssumeRole: one call, a record in each account, tied by sharedEventID.
    const target = roleArn(DEV, `metrics-reader${t.suffix}`);
    const shared = rng.uuid();
    const spec: CallSpec = {
      source: 'sts.amazonaws.com',
      name: 'AssumeRole',
      region: HOME_REGION,
      request: { roleArn: target, roleSessionName: `${w.name}-metrics`, durationSeconds: 900 },
      response: {
        credentials: stsCredentials(rng, time),
        assumedRoleUser: {
          assumedRoleId: `${stableId('AROA', target)}:${w.name}-metrics`,
          arn: `arn:aws:sts::${DEV}:assumed-role/metrics-reader${t.suffix}/${w.name}-metrics`,
        },
      },
      readOnly: true,
      resources: [roleResource(DEV, target)],
      sharedEventID: shared,
    };
    const sts = withAgent(fn, fn.userAgent.replace('api/athena', 'api/sts'));
    call(ctx, sts, time, spec);
    call(ctx, sts, time, { ...spec, recipient: DEV });
  },
});

// ----------------------------------------------------------------------------------- account services

/** AWS Config's recorder describing resources with its service-linked role. */
const configRecorder = (t: Team, account: string, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const rng = ctx.rng;
    const role = 'AWSServiceRoleForConfig';
    const arn = roleArn(account, role, '/aws-service-role/config.amazonaws.com/');
    call(ctx, service(account, 'config.amazonaws.com'), start, {
      source: 'sts.amazonaws.com',
      name: 'AssumeRole',
      region: HOME_REGION,
      request: { roleArn: arn, roleSessionName: 'AWSConfig-Describe' },
      response: {
        credentials: stsCredentials(rng, start),
        assumedRoleUser: {
          assumedRoleId: `${stableId('AROA', arn)}:AWSConfig-Describe`,
          arn: `arn:aws:sts::${account}:assumed-role/${role}/AWSConfig-Describe`,
        },
      },
      readOnly: true,
      resources: [roleResource(account, arn)],
    });
    const recorder = serviceLinked(account, role, 'AWSConfig-Describe', 'config.amazonaws.com', rng);
    const env = { rng, account, team: t };
    let time = start + 1500;
    const reads = ['DescribeSecurityGroups', 'DescribeNetworkInterfaces', 'GetRole', 'GetBucketPolicy', 'DescribeVpcs'];
    for (let i = rng.int(2, 4); i > 0; i--) {
      const name = rng.pick(reads);
      if (name === 'DescribeNetworkInterfaces') {
        call(ctx, recorder, time, {
          source: 'ec2.amazonaws.com',
          name,
          region: HOME_REGION,
          request: { networkInterfaceIdSet: { items: [{ networkInterfaceId: `eni-${rng.hex(17)}` }] }, filterSet: {} },
          readOnly: true,
        });
      } else if (name === 'DescribeSecurityGroups') {
        call(ctx, recorder, time, {
          source: 'ec2.amazonaws.com',
          name,
          region: HOME_REGION,
          request: {
            securityGroupSet: {},
            securityGroupIdSet: {
              items: [{ groupId: rng.pick([t.albSg(account), t.appSg(account), t.bastionSg(account)]) }],
            },
            filterSet: {},
          },
          readOnly: true,
        });
      } else {
        readCall(ctx, recorder, time, read(name), env, false);
      }
      time += rng.int(100, 2000);
    }
  },
});

/** CloudTrail asks KMS for a data key for each log file it encrypts (SSE-KMS trail). */
const trailDataKey = (account: string, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const keyArn = kmsKeyArn(account, 'cloudtrail');
    call(ctx, service(account, 'cloudtrail.amazonaws.com'), start, {
      source: 'kms.amazonaws.com',
      name: 'GenerateDataKey',
      region: HOME_REGION,
      request: {
        keyId: keyArn,
        keySpec: 'AES_256',
        encryptionContext: {
          'aws:cloudtrail:arn': trailArn(account),
          'aws:s3:arn': `arn:aws:s3:::cloudtrail-logs-${account}/AWSLogs/${account}/CloudTrail/${HOME_REGION}/2026/11/02/${account}_CloudTrail_${HOME_REGION}_${iso(start).replace(/[-:]/g, '').slice(0, 13)}Z_${alnum(ctx.rng, 16)}.json.gz`,
        },
      },
      readOnly: true,
      resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
      sharedEventID: ctx.rng.uuid(),
    });
  },
});

/** AWS Backup's nightly on-demand backups of the DynamoDB tables, with its service role. */
const nightlyBackup = (t: Team, account: string, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const rng = ctx.rng;
    const role = 'AWSBackupDefaultServiceRole';
    const arn = roleArn(account, role, '/service-role/');
    call(ctx, service(account, 'backup.amazonaws.com'), start, {
      source: 'sts.amazonaws.com',
      name: 'AssumeRole',
      region: HOME_REGION,
      request: { roleArn: arn, roleSessionName: 'AWSBackup-AWSBackupDefaultServiceRole' },
      response: { credentials: stsCredentials(rng, start) },
      readOnly: true,
      resources: [roleResource(account, arn)],
    });
    const backup = serviceActor(
      account,
      roleSession(account, role, 'AWSBackup-AWSBackupDefaultServiceRole', {
        path: '/service-role/',
        createdMs: start,
        accessKeyId: accessKey(rng),
        invokedBy: 'backup.amazonaws.com',
      }),
      'backup.amazonaws.com',
    );
    let time = start + 2000;
    for (const table of tablesOf(t)) {
      call(ctx, backup, time, {
        source: 'dynamodb.amazonaws.com',
        name: 'CreateBackup',
        region: HOME_REGION,
        request: { tableName: table, backupName: `awsbackup:job-${rng.uuid()}` },
        response: {
          backupDetails: {
            backupArn: `arn:aws:dynamodb:${HOME_REGION}:${account}:table/${table}/backup/0${time}-${rng.hex(8)}`,
            backupStatus: 'CREATING',
            backupType: 'AWS_BACKUP',
          },
        },
      });
      time += rng.int(2, 30) * 1000;
    }
  },
});

/** KMS rotates a customer managed key on its anniversary: a service event, no caller. */
const keyRotation = (account: string, keyName: string, start: number, key: string): Activity => ({
  key,
  at: start,
  run: (ctx) => {
    const keyArn = kmsKeyArn(account, keyName);
    call(
      ctx,
      {
        account,
        identity: { accountId: account, invokedBy: 'kms.amazonaws.com' },
        sourceIp: 'kms.amazonaws.com',
        userAgent: 'kms.amazonaws.com',
        tls: false,
      },
      start,
      {
        source: 'kms.amazonaws.com',
        name: 'RotateKey',
        region: HOME_REGION,
        additional: { keyId: keyArn },
        eventType: 'AwsServiceEvent',
        resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
        requestID: null,
      },
    );
  },
});

// -------------------------------------------------------------------------------------------- the plan

/** Times in working hours, jittered. */
const around = (rng: Rng, hours: number, minutes: number, spreadMinutes: number): number =>
  at(hours, minutes) + rng.int(-spreadMinutes, spreadMinutes) * MINUTE + rng.int(0, 59) * 1000;

const shuffled = <T>(rng: Rng, items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
};

const teamPlan = (t: Team, shape: OrgShape, seed: string): Activity[] => {
  const rng = rngFrom(seed, 'plan', t.index);
  const k = `t${t.index}`;
  const { alice, bob, carol, dave } = t.people;
  const out: Activity[] = [];

  // People: console sessions (when, how many calls), CLI bursts, now and then a mistyped sign-in.
  const consoleSessions: readonly [Person, SsoGrant, number, number, readonly [number, number], Palette, string][] = [
    [alice, grantFor(alice, PROD), 9, 5, [40, 60], 'platform', 'alice/prod-am'],
    [alice, grantFor(alice, DEV), 13, 30, [30, 45], 'platform', 'alice/dev'],
    [alice, grantFor(alice, PROD), 16, 10, [20, 35], 'platform', 'alice/prod-pm'],
    [bob, grantFor(bob, DEV), 9, 35, [40, 55], 'developer', 'bob/dev-am'],
    [bob, grantFor(bob, PROD), 11, 10, [12, 22], 'developer', 'bob/prod'],
    [bob, grantFor(bob, DEV), 14, 15, [30, 45], 'developer', 'bob/dev-pm'],
    [carol, grantFor(carol, PROD, 'SecurityAudit'), 8, 40, [40, 60], 'security', 'carol/am'],
    [carol, grantFor(carol, PROD, 'SecurityAudit'), 15, 0, [25, 35], 'security', 'carol/pm'],
  ];
  for (const [person, grant, hours, minutes, reads, palette, name] of consoleSessions) {
    out.push(ssoConsoleSession(t, person, grant, around(rng, hours, minutes, 25), reads, palette, `${k}/${name}`));
  }
  for (let i = 0; i < 3; i++) {
    const when = around(rng, 10 + i * 3, 30, 50);
    out.push(ssoCliSession(t, alice, grantFor(alice, DEV), when, rng.int(6, 12), `${k}/alice/cli${i}`));
  }
  if (rng.chance(0.5)) out.push(hiddenUserFailure(alice, PROD, around(rng, 8, 55, 5), `${k}/alice/hidden`));
  const daveFails = t.index === 0 || rng.chance(0.6);
  out.push(iamConsoleSession(t, dave, around(rng, 8, 50, 10), rng.int(20, 30), daveFails, `${k}/dave/console`));
  for (let i = 0; i < 4; i++) {
    out.push(iamCliSession(t, dave, around(rng, 10 + i * 2, 20, 50), rng.int(6, 14), `${k}/dave/cli${i}`));
  }

  // CI/CD: several deploys to dev, a couple to prod. The first dev deploy of the day replaces the
  // load balancer's security group (443 open to the world, by design); one adds a bucket with a TLS-only policy.
  const devDeploys = rng.int(4, 5);
  const devVariants: DeployVariant[] = [
    'network',
    'bucket',
    ...shuffled(rng, ['code', 'code', 'iam-inline', 'iam-role', 'policy', 'trust'] as const),
  ];
  for (let i = 0; i < devDeploys; i++) {
    const when = at(9, 30) + Math.floor(((i + rng.next()) * 8 * HOUR) / devDeploys);
    out.push(deploy(t, DEV, devVariants[i] ?? 'code', when, `${k}/deploy/dev${i}`));
  }
  const prodVariants: DeployVariant[] = ['code', rng.pick(['iam-inline', 'trust', 'iam-role'] as const)];
  for (let i = 0; i < 2; i++) {
    out.push(deploy(t, PROD, prodVariants[i] ?? 'code', around(rng, 11 + i * 4, 0, 45), `${k}/deploy/prod${i}`));
  }

  // Workloads, around the clock.
  for (const w of t.workloads) {
    const perHour = (w.name.startsWith('reports') ? 0.2 : 1.5) * shape.workloadFactor;
    let time = DAY_START_MS + (rng.int(0, 60) * MINUTE) / Math.max(1, perHour);
    let n = 0;
    while (time < DAY_START_MS + 24 * HOUR) {
      out.push(coldStart(w, time, `${k}/${w.name}/cold${n++}`));
      // Busier in the day than at night.
      const hour = new Date(time).getUTCHours();
      const rate = perHour * (hour >= 7 && hour < 20 ? 1.5 : 0.5);
      time += Math.max(20_000, Math.round((HOUR / rate) * (0.5 + rng.next())));
    }
    if (w.name.startsWith('payments')) {
      for (let h = 0; h < 24; h += 2) {
        const count = Math.round(rng.int(1, 3) * shape.workloadFactor);
        out.push(dataKeyCalls(w, at(h, rng.int(0, 110)), count, `${k}/${w.name}/kms${h}`));
      }
    }
    if (w.name.startsWith('reports'))
      out.push(nightlyReport(t, w, at(2, 0, rng.int(0, 300)), `${k}/${w.name}/nightly`));
  }
  return out;
};

/** Account-wide services: there is one of each per account however many teams there are. */
const accountPlan = (shape: OrgShape, seed: string): Activity[] => {
  const rng = rngFrom(seed, 'plan', 'accounts');
  const t0 = teamOf(0);
  const out: Activity[] = [];
  for (const account of [PROD, DEV]) {
    const every = Math.max(2 * MINUTE, (20 * MINUTE) / shape.workloadFactor);
    for (let time = DAY_START_MS + rng.int(1, 20) * MINUTE, n = 0; time < DAY_START_MS + 24 * HOUR; n++) {
      out.push(configRecorder(t0, account, time, `${account}/config/${n}`));
      time += Math.round(every * (0.6 + rng.next() * 0.8));
    }
    const gdk = Math.max(MINUTE, (15 * MINUTE) / shape.workloadFactor);
    for (let time = DAY_START_MS + rng.int(0, 300) * 1000, n = 0; time < DAY_START_MS + 24 * HOUR; n++) {
      out.push(trailDataKey(account, time, `${account}/trail-kms/${n}`));
      time += Math.round(gdk * (0.8 + rng.next() * 0.4));
    }
  }
  out.push(nightlyBackup(t0, PROD, at(1, rng.int(0, 20), rng.int(0, 59)), `${PROD}/backup`));
  out.push(keyRotation(PROD, 'orders-api', at(rng.int(3, 5), rng.int(0, 59), rng.int(0, 59)), `${PROD}/rotate`));
  return out;
};

/** The benign day for an organisation of the given shape, in start order. */
export const planDay = (shape: OrgShape, seed: string): Activity[] => {
  const out = accountPlan(shape, seed);
  for (let i = 0; i < shape.teams; i++) out.push(...teamPlan(teamOf(i), shape, seed));
  return out.sort(byStartThenKey);
};
