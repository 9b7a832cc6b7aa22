import { CloudTrailClient, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { HealthDeps } from '../../functions/health/health.ts';
import { createHandler } from '../../functions/health/health.ts';
import { createCloudTrailStatusSource } from '../../functions/shared/adapters/cloudtrail-status-source.ts';
import { createConfigRecorderStatusSource } from '../../functions/shared/adapters/config-recorder-status-source.ts';
import { createDynamoHeartbeatStore } from '../../functions/shared/adapters/dynamodb-heartbeat-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { DEFAULT_HEALTH_SETTINGS } from '../../rules/core/health.ts';
import { createMemoryHeartbeatStore, createMemoryIncidentStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { FindingLedger, HeartbeatStore, RecorderStatusSource } from '../../rules/core/ports.ts';
import { createStateTable, deleteTable, dynamoClient } from '../support/dynamodb.ts';

const NOW = Date.parse('2026-11-02T10:17:00Z');
const MIN = 60_000;
const home = { account: '111122223333', region: 'eu-west-1' };
const TRAIL_ARN = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';

const ct = mockClient(CloudTrailClient);
const sns = mockClient(SNSClient);
afterEach(() => {
  ct.reset();
  sns.reset();
});

const healthySelectors = {
  TrailARN: TRAIL_ARN,
  EventSelectors: [{ ReadWriteType: 'All' as const, IncludeManagementEvents: true, DataResources: [] }],
};
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

const setup = (
  options: {
    trails?: string[];
    recorders?: RecorderStatusSource;
    heartbeats?: HeartbeatStore;
    ledger?: FindingLedger;
    clock?: { t: number };
  } = {},
) => {
  const clock = options.clock ?? { t: NOW };
  const delivered: Finding[] = [];
  const folded: Finding[] = [];
  const deps: HealthDeps = {
    trails: createCloudTrailStatusSource(
      new CloudTrailClient({ region: 'eu-west-1' }),
      options.trails ?? ['org-trail'],
      home,
    ),
    ...(options.recorders ? { recorders: options.recorders } : {}),
    heartbeats: options.heartbeats ?? createMemoryHeartbeatStore(),
    ledger: options.ledger ?? createMemoryLedger(),
    incidents: createMemoryIncidentStore(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async (f) => void folded.push(f) },
    resolutions: createSnsResolvedNotifier(new SNSClient({ region: 'eu-west-1' }), TOPIC),
    clock: { now: () => clock.t },
    settings: DEFAULT_HEALTH_SETTINGS,
    home,
    telemetry: createTelemetry(
      'test',
      () => {},
      () => 0,
    ),
  };
  return { handler: createHandler(deps), delivered, folded, clock };
};

describe('health handler: trails', () => {
  it('asks for exactly the configured trail and finds nothing when healthy', async () => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true, LatestDeliveryTime: new Date(NOW - 5 * MIN) });
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    const { handler, delivered } = setup();
    const report = await handler();
    expect(ct.commandCalls(GetTrailStatusCommand).map((c) => c.args[0].input)).toEqual([{ Name: 'org-trail' }]);
    expect(ct.commandCalls(GetEventSelectorsCommand).map((c) => c.args[0].input)).toEqual([{ TrailName: 'org-trail' }]);
    expect(report.delivered).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('pages a stopped trail once, then folds the repeats', async () => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: false, LatestDeliveryTime: new Date(NOW - 5 * MIN) });
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    const { handler, delivered, clock } = setup();
    await handler();
    clock.t += 5 * MIN;
    await handler();
    clock.t += 60 * MIN;
    const later = await handler();
    expect(delivered.map((f) => [f.ruleId, f.severity, f.account, f.region])).toEqual([
      ['health.trail-not-logging', 'critical', '111122223333', 'eu-west-1'],
    ]);
    expect(later.folded.map((f) => f.ruleId)).toEqual(['health.trail-not-logging']);
  });

  it('reports delayed delivery, delivery errors and dropped management events', async () => {
    ct.on(GetTrailStatusCommand).resolves({
      IsLogging: true,
      LatestDeliveryTime: new Date(NOW - 90 * MIN),
      LatestDeliveryError: 'AccessDenied',
    });
    ct.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false, DataResources: [] }],
    });
    const { handler, delivered } = setup();
    await handler();
    expect(delivered.map((f) => f.ruleId).sort()).toEqual([
      'health.management-events-not-selected',
      'health.trail-delivery-delayed',
      'health.trail-delivery-error',
    ]);
  });

  it.each([
    ['ThrottlingException', 'Rate exceeded'],
    ['AccessDeniedException', 'User is not authorized to perform: cloudtrail:GetTrailStatus'],
  ])('turns %s into health.check-failed, never healthy, and asks for the ARN as configured', async (name, msg) => {
    ct.on(GetTrailStatusCommand).rejects(awsError(name, msg));
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    const { handler, delivered } = setup({ trails: [TRAIL_ARN] });
    await handler();
    expect(ct.commandCalls(GetTrailStatusCommand).map((c) => c.args[0].input)).toEqual([{ Name: TRAIL_ARN }]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      ruleId: 'health.check-failed',
      severity: 'high',
      details: [`cloudtrail:GetTrailStatus on ${TRAIL_ARN} failed: ${name}: ${msg}`, expect.any(String)],
    });
  });
});

describe('health handler: Config recorder', () => {
  it.each([
    ['recording', { ConfigurationRecordersStatus: [{ name: 'default', recording: true, lastStatus: 'SUCCESS' }] }, []],
    [
      'stopped',
      { ConfigurationRecordersStatus: [{ name: 'default', recording: false }] },
      ['health.config-recorder-stopped'],
    ],
    [
      'failing',
      {
        ConfigurationRecordersStatus: [
          { name: 'default', recording: true, lastStatus: 'FAILURE', lastErrorCode: 'AccessDenied' },
        ],
      },
      ['health.config-recorder-stopped'],
    ],
  ] as const)('%s', async (_name, output, expected) => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    const { handler, delivered } = setup({ recorders: createConfigRecorderStatusSource(async () => output, home) });
    await handler();
    expect(delivered.map((f) => f.ruleId)).toEqual(expected);
  });

  it('turns a throttled describe call into health.check-failed', async () => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    const recorders = createConfigRecorderStatusSource(async () => {
      throw awsError('ThrottlingException', 'Rate exceeded');
    }, home);
    const { handler, delivered } = setup({ recorders });
    await handler();
    expect(delivered.map((f) => f.ruleId)).toEqual(['health.check-failed']);
  });
});

describe('health handler: dead-man switch', () => {
  it('pages a silence once, and sends one [RESOLVED] when events resume', async () => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const heartbeats = createMemoryHeartbeatStore();
    await heartbeats.advance([{ ...home, timeMs: NOW - 7 * 60 * MIN }]);
    const { handler, delivered, clock } = setup({ heartbeats });

    await handler();
    clock.t += 5 * MIN;
    await handler();
    expect(delivered.map((f) => f.ruleId)).toEqual(['health.pipeline-silent']);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);

    await heartbeats.advance([{ ...home, timeMs: clock.t - MIN }]);
    clock.t += 5 * MIN;
    const report = await handler();
    clock.t += 5 * MIN;
    await handler();
    expect(report.resolved.map((f) => f.id)).toEqual([delivered[0]?.id]);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[RESOLVED] [HIGH] Trailwarden received no events - 111122223333',
      MessageAttributes: expect.objectContaining({
        status: { DataType: 'String', StringValue: 'resolved' },
        findingId: { DataType: 'String', StringValue: delivered[0]?.id },
      }),
    });
    expect(delivered).toHaveLength(1);
    expect((await heartbeats.list())[0]?.silence).toBeUndefined();
  });

  it('keeps the silence open and fails the run when the resolved message cannot be sent', async () => {
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
    sns.on(PublishCommand).rejectsOnce(awsError('InternalErrorException', 'boom')).resolves({});
    const heartbeats = createMemoryHeartbeatStore();
    await heartbeats.advance([{ ...home, timeMs: NOW - 7 * 60 * MIN }]);
    const { handler, clock } = setup({ heartbeats });
    await handler();
    await heartbeats.advance([{ ...home, timeMs: NOW }]);
    clock.t += 5 * MIN;
    await expect(handler()).rejects.toThrow(/silence 111122223333\/eu-west-1: boom/);
    clock.t += 5 * MIN;
    expect((await handler()).resolved).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
  });
});

describe('health handler: dead-man switch on DynamoDB Local', () => {
  it('pages once across containers and resolves once', async () => {
    const client = dynamoClient(inject('dynamoEndpoint'));
    const table = await createStateTable(client);
    try {
      ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
      ct.on(GetEventSelectorsCommand).resolves(healthySelectors);
      sns.on(PublishCommand).resolves({});
      const clock = { t: NOW };
      const ledgerClock = { now: () => clock.t };
      const writer = createDynamoHeartbeatStore(client, table);
      await writer.advance([{ ...home, timeMs: NOW - 7 * 60 * MIN }]);
      // Two containers: separate ledgers and stores over one table.
      const runs = [0, 1].map(() =>
        setup({
          clock,
          heartbeats: createDynamoHeartbeatStore(client, table),
          ledger: createDynamoLedger(client, table, { clock: ledgerClock }),
        }),
      );
      await runs[0]?.handler();
      clock.t += 5 * MIN;
      await runs[1]?.handler();
      const paged = [...(runs[0]?.delivered ?? []), ...(runs[1]?.delivered ?? [])];
      expect(paged.map((f) => f.ruleId)).toEqual(['health.pipeline-silent']);

      await writer.advance([{ ...home, timeMs: clock.t }]);
      clock.t += 5 * MIN;
      await runs[1]?.handler();
      clock.t += 5 * MIN;
      await runs[0]?.handler();
      const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
      expect(published).toEqual(['[RESOLVED] [HIGH] Trailwarden received no events - 111122223333']);
    } finally {
      await deleteTable(client, table);
      client.destroy();
    }
  });
});
