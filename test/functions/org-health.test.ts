import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, DescribeConfigurationRecorderStatusCommand } from '@aws-sdk/client-config-service';
import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { HealthDeps } from '../../functions/health/health.ts';
import { createHandler } from '../../functions/health/health.ts';
import { createCloudTrailStatusSource } from '../../functions/shared/adapters/cloudtrail-status-source.ts';
import { createDynamoExpectationStore } from '../../functions/shared/adapters/dynamodb-heartbeat-store.ts';
import { createMemberRecorderSource } from '../../functions/shared/adapters/member-recorder-source.ts';
import { createOrganizationsAccountSource } from '../../functions/shared/adapters/organizations-account-source.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { DEFAULT_HEALTH_SETTINGS } from '../../rules/core/health.ts';
import {
  createMemoryExpectationStore,
  createMemoryHeartbeatStore,
  createMemoryIncidentStore,
  createMemoryLedger,
} from '../../rules/core/memory.ts';
import { createStateTable, deleteTable, dynamoClient } from '../support/dynamodb.ts';

const NOW = Date.parse('2026-11-02T10:17:00Z');
const HOUR = 3_600_000;
const HOME = '111122223333';
const HEARD = '444455556666';
const SILENT = '555566667777';
const SUSPENDED = '666677778888';
const NEW = '777788889999';
const REGIONS = ['eu-west-1', 'us-east-1'];
const OU = 'ou-ab12-cdefgh34';
const CHILD_OU = 'ou-ab12-ijklmn56';
const home = { account: HOME, region: 'eu-west-1' };

const org = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const config = mockClient(ConfigServiceClient);
const ct = mockClient(CloudTrailClient);
afterEach(() => {
  org.reset();
  sts.reset();
  config.reset();
  ct.reset();
});

const account = (Id: string, Status: 'ACTIVE' | 'SUSPENDED', joinedMs: number) => ({
  Id,
  Name: `acct-${Id.slice(0, 4)}`,
  Status,
  JoinedTimestamp: new Date(joinedMs),
});

/** The simulated organisation: an OU with a child OU (paginated), five accounts. */
const simulateOrganization = () => {
  org.on(ListAccountsForParentCommand, { ParentId: OU }).resolves({
    Accounts: [
      account(HOME, 'ACTIVE', NOW - 400 * 24 * HOUR),
      account(HEARD, 'ACTIVE', NOW - 90 * 24 * HOUR),
      account(SILENT, 'ACTIVE', NOW - 30 * 24 * HOUR),
    ],
  });
  org
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: OU })
    .resolves({ OrganizationalUnits: [{ Id: CHILD_OU }] });
  org.on(ListOrganizationalUnitsForParentCommand, { ParentId: CHILD_OU }).resolves({ OrganizationalUnits: [] });
  org
    .on(ListAccountsForParentCommand, { ParentId: CHILD_OU })
    .resolves({ Accounts: [account(SUSPENDED, 'SUSPENDED', NOW - 200 * 24 * HOUR)], NextToken: 'page-2' });
  org
    .on(ListAccountsForParentCommand, { ParentId: CHILD_OU, NextToken: 'page-2' })
    .resolves({ Accounts: [account(NEW, 'ACTIVE', NOW - HOUR)] });
  // Every member's reader role can be assumed but the silent account's (its StackSet instance never deployed).
  sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn?: string }) => {
    const id = /iam::(\d{12}):/.exec(input.RoleArn ?? '')?.[1] ?? '';
    if (id === SILENT)
      throw Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' });
    return {
      Credentials: {
        AccessKeyId: `ASIA${id}`,
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(NOW + HOUR),
      },
    };
  });
  // The new account's recorder is not recording yet.
  config.on(DescribeConfigurationRecorderStatusCommand).callsFake(async (_input, getClient) => {
    const credentials = await getClient().config.credentials();
    const recording = credentials.accessKeyId !== `ASIA${NEW}`;
    return { ConfigurationRecordersStatus: [{ name: 'default', recording, lastStatus: 'SUCCESS' }] };
  });
  ct.on(GetTrailStatusCommand).resolves({ IsLogging: true, LatestDeliveryTime: new Date(NOW - 60_000) });
  ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: [{ IncludeManagementEvents: true }] });
};

const setup = async (clock: { t: number }) => {
  const heartbeats = createMemoryHeartbeatStore();
  // Home and the heard member send from both regions; the suspended one sent, long ago.
  await heartbeats.advance([
    ...REGIONS.flatMap((region) => [
      { account: HOME, region, timeMs: NOW - 60_000 },
      { account: HEARD, region, timeMs: NOW - 60_000 },
    ]),
    { account: SUSPENDED, region: 'eu-west-1', timeMs: NOW - 100 * 24 * HOUR },
  ]);
  const delivered: Finding[] = [];
  const deps: HealthDeps = {
    trails: createCloudTrailStatusSource(new CloudTrailClient({ region: 'eu-west-1' }), ['org-trail'], home),
    heartbeats,
    ledger: createMemoryLedger(),
    incidents: createMemoryIncidentStore(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    resolutions: createSnsResolvedNotifier(
      new SNSClient({ region: 'eu-west-1' }),
      'arn:aws:sns:eu-west-1:111122223333:t',
    ),
    clock: { now: () => clock.t },
    settings: DEFAULT_HEALTH_SETTINGS,
    home,
    telemetry: createTelemetry(
      'test',
      () => {},
      () => 0,
    ),
    org: {
      accounts: createOrganizationsAccountSource(new OrganizationsClient({ region: 'us-east-1' }), [OU]),
      expectations: createMemoryExpectationStore(),
      expectation: { regions: REGIONS, graceMs: 24 * HOUR },
      memberRecorders: createMemberRecorderSource({
        roleName: 'trailwarden-health-reader',
        partition: 'aws',
        regions: REGIONS,
        homeAccount: HOME,
        assume: async (roleArn) => {
          const out = await new STSClient({ region: 'eu-west-1' }).send(
            new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'trailwarden-health', DurationSeconds: 900 }),
          );
          const c = out.Credentials;
          if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('no credentials');
          return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
        },
        describe: (credentials, region) =>
          new ConfigServiceClient({ region, credentials }).send(new DescribeConfigurationRecorderStatusCommand({})),
      }),
    },
  };
  return { handler: createHandler(deps), delivered };
};

const where = (f: Finding) => `${f.ruleId} ${f.account}/${f.region}`;

describe('health across a simulated organisation', () => {
  it('lists the targets recursively, with exact Organizations inputs', async () => {
    simulateOrganization();
    const accounts = await createOrganizationsAccountSource(new OrganizationsClient({ region: 'us-east-1' }), [
      OU,
    ]).accounts();
    expect(accounts.map((a) => [a.id, a.status])).toEqual([
      [HOME, 'ACTIVE'],
      [HEARD, 'ACTIVE'],
      [SILENT, 'ACTIVE'],
      [SUSPENDED, 'SUSPENDED'],
      [NEW, 'ACTIVE'],
    ]);
    expect(org.commandCalls(ListAccountsForParentCommand).map((c) => c.args[0].input)).toEqual([
      { ParentId: OU },
      { ParentId: CHILD_OU },
      { ParentId: CHILD_OU, NextToken: 'page-2' },
    ]);
    expect(org.commandCalls(ListOrganizationalUnitsForParentCommand).map((c) => c.args[0].input)).toEqual([
      { ParentId: OU },
      { ParentId: CHILD_OU },
    ]);
  });

  it('takes the whole organisation for a root target (ListAccounts, every page)', async () => {
    org.on(ListAccountsCommand, {}).resolves({ Accounts: [account(HEARD, 'ACTIVE', NOW)], NextToken: 'n' });
    org.on(ListAccountsCommand, { NextToken: 'n' }).resolves({ Accounts: [account(SILENT, 'ACTIVE', NOW)] });
    const accounts = await createOrganizationsAccountSource(new OrganizationsClient({ region: 'us-east-1' }), [
      'r-ab12',
    ]).accounts();
    expect(accounts.map((a) => a.id)).toEqual([HEARD, SILENT]);
    expect(org.commandCalls(ListAccountsCommand).map((c) => c.args[0].input)).toEqual([{}, { NextToken: 'n' }]);
  });

  it('misses an account silent from the start, never a suspended one, and gives a new joiner its grace', async () => {
    simulateOrganization();
    const clock = { t: NOW };
    const { handler, delivered } = await setup(clock);

    // First run: every unheard pair is only now expected, so nothing is silent yet; the member checks run.
    const first = await handler();
    expect(first.delivered.filter((f) => f.ruleId === 'health.never-heard-from')).toEqual([]);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual(
      [HEARD, SILENT, NEW].map((id) => ({
        RoleArn: `arn:aws:iam::${id}:role/trailwarden-health-reader`,
        RoleSessionName: 'trailwarden-health',
        DurationSeconds: 900,
      })),
    );
    expect(config.commandCalls(DescribeConfigurationRecorderStatusCommand).map((c) => c.args[0].input)).toEqual([
      {},
      {},
      {},
      {},
    ]);
    expect(first.delivered.map(where).sort()).toEqual([
      `health.check-failed ${SILENT}/eu-west-1`,
      `health.check-failed ${SILENT}/us-east-1`,
      `health.config-recorder-stopped ${NEW}/eu-west-1`,
      `health.config-recorder-stopped ${NEW}/us-east-1`,
    ]);

    // Seven hours later: the silent account is missed in both regions; the suspended account's old heartbeat
    // is no silence; the account that joined an hour before the first run is still within its day of grace.
    clock.t = NOW + 7 * HOUR;
    const later = await handler();
    const never = later.delivered.filter((f) => f.ruleId === 'health.never-heard-from');
    expect(never.map(where).sort()).toEqual([
      `health.never-heard-from ${SILENT}/eu-west-1`,
      `health.never-heard-from ${SILENT}/us-east-1`,
    ]);
    expect(never[0]?.details?.[0]).toBe(
      `Expected since ${new Date(NOW).toISOString()}; no event received from ${SILENT} in ${never[0]?.region}.`,
    );
    expect(delivered.some((f) => f.account === SUSPENDED)).toBe(false);

    // Past the new account's grace, it is missed too; the silent account's findings are not paged again.
    clock.t = NOW + 25 * HOUR;
    const afterGrace = await handler();
    expect(
      afterGrace.delivered
        .filter((f) => f.ruleId === 'health.never-heard-from')
        .map(where)
        .sort(),
    ).toEqual([`health.never-heard-from ${NEW}/eu-west-1`, `health.never-heard-from ${NEW}/us-east-1`]);
  });
});

describe('trail discovery', () => {
  it('with no trails configured, checks every trail DescribeTrails sees, org trails included, each once', async () => {
    const orgTrail = 'arn:aws:cloudtrail:us-east-1:999988887777:trail/org-trail';
    const local = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/local';
    ct.on(DescribeTrailsCommand, { includeShadowTrails: true }).resolves({
      trailList: [
        { Name: 'org-trail', TrailARN: orgTrail, IsOrganizationTrail: true, IsMultiRegionTrail: true },
        { Name: 'local', TrailARN: local },
        { Name: 'org-trail', TrailARN: orgTrail, IsOrganizationTrail: true },
      ],
    });
    ct.on(GetTrailStatusCommand, { Name: orgTrail }).resolves({ IsLogging: false });
    ct.on(GetTrailStatusCommand, { Name: local }).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: [{ IncludeManagementEvents: true }] });
    const observations = await createCloudTrailStatusSource(
      new CloudTrailClient({ region: 'eu-west-1' }),
      [],
      home,
    ).observe();
    expect(ct.commandCalls(DescribeTrailsCommand).map((c) => c.args[0].input)).toEqual([{ includeShadowTrails: true }]);
    // Sorted by ARN; the shadow copy of the organisation trail is checked once.
    expect(ct.commandCalls(GetTrailStatusCommand).map((c) => c.args[0].input)).toEqual([
      { Name: local },
      { Name: orgTrail },
    ]);
    expect(observations).toEqual([
      expect.objectContaining({ kind: 'trail', trail: local, isLogging: true }),
      expect.objectContaining({
        kind: 'trail',
        trail: orgTrail,
        account: '999988887777',
        region: 'us-east-1',
        isLogging: false,
      }),
    ]);
  });

  it('lets configured trails win, and reports a region where nothing is found', async () => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves({});
    await createCloudTrailStatusSource(new CloudTrailClient({ region: 'eu-west-1' }), ['mine'], home).observe();
    expect(ct.commandCalls(DescribeTrailsCommand)).toEqual([]);
    ct.reset();
    ct.on(DescribeTrailsCommand).resolves({ trailList: [] });
    const none = await createCloudTrailStatusSource(new CloudTrailClient({ region: 'eu-west-1' }), [], home).observe();
    expect(none).toEqual([
      expect.objectContaining({ kind: 'check-failed', check: 'cloudtrail:DescribeTrails', errorCode: 'NoTrail' }),
    ]);
  });
});

describe('DynamoDB expectation store', () => {
  it('remembers the first expectation and never moves it', async () => {
    const client = dynamoClient(inject('dynamoEndpoint'));
    const table = await createStateTable(client);
    try {
      const store = createDynamoExpectationStore(client, table);
      const pair = { account: SILENT, region: 'eu-west-1' };
      expect(await store.firstExpected([pair], NOW)).toEqual(new Map([[`${SILENT}/eu-west-1`, NOW]]));
      expect(await store.firstExpected([pair], NOW + HOUR)).toEqual(new Map([[`${SILENT}/eu-west-1`, NOW]]));
    } finally {
      await deleteTable(client, table);
    }
  });
});
