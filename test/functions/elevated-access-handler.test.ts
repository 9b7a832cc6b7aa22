import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ElevatedDeps } from '../../functions/elevated-access/elevated-access.ts';
import { createHandler, parseElevatedEnv } from '../../functions/elevated-access/elevated-access.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoGrantMemoryStore } from '../../functions/shared/adapters/dynamodb-grant-memory.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createS3TriageStore } from '../../functions/shared/adapters/s3-triage-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { PrincipalRead, PrincipalState } from '../../rules/core/elevated-access.ts';
import { DEFAULT_ELEVATED_SETTINGS } from '../../rules/core/elevated-access.ts';
import type { IamStateReader } from '../../rules/core/ports.ts';
import { parseTriageDecision } from '../../rules/core/triage.ts';
import type { TestDynamoDb } from '../support/dynamodb.ts';
import { createStateTable, deleteTable, dynamoClient } from '../support/dynamodb.ts';
import { startS3rver } from '../support/s3rver.ts';

const ACCOUNT = '111122223333';
const home = { account: ACCOUNT, region: 'eu-west-1' };
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:findings`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ADMIN_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const T0 = Date.parse('2026-12-07T12:00:00Z');
const MIN = 60_000;

const sns = mockClient(SNSClient);

/** Alice's live state, changed between runs as an operator (or the grantee) would. */
const alice = (admin: boolean, tags: Record<string, string> = { expires: '2026-12-07T10:00:00Z' }): PrincipalState => ({
  arn: ALICE,
  type: 'user',
  name: 'alice',
  tags,
  managed: admin ? [{ arn: ADMIN, name: 'AdministratorAccess', document: ADMIN_DOC, tags: {} }] : [],
  inline: [],
  groups: [],
});

describe('elevated-access handler, end to end (DynamoDB Local, s3rver)', () => {
  let dynamo: TestDynamoDb;
  let table: string;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
  });

  beforeEach(async () => {
    s3 = await startS3rver(['evidence']);
    table = await createStateTable(dynamo, 'elevated');
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });
  afterEach(async () => {
    sns.reset();
    await s3.stop();
    await deleteTable(dynamo, table);
  });

  const setup = () => {
    const clock = { t: T0 };
    const live: { state: Awaited<ReturnType<IamStateReader['read']>> } = {
      state: { ok: true, principals: [{ ok: true, principal: alice(true) }] },
    };
    const client = new SNSClient({ region: 'eu-west-1' });
    const logs: unknown[] = [];
    const deps: ElevatedDeps = {
      iam: { read: async () => live.state },
      memory: createDynamoGrantMemoryStore(dynamo, table),
      ledger: createDynamoLedger(dynamo, table, { clock: { now: () => clock.t } }),
      incidents: createDynamoIncidentStore(dynamo, table, { clock: { now: () => clock.t } }),
      sink: createAwsFindingSink(createS3EvidenceStore(s3.client, 'evidence'), createSnsNotifier(client, TOPIC)),
      resolutions: createSnsResolvedNotifier(client, TOPIC),
      triage: createS3TriageStore(s3.client, 'evidence'),
      clock: { now: () => clock.t },
      home,
      temporaryAccess: [],
      settings: DEFAULT_ELEVATED_SETTINGS,
      telemetry: createTelemetry(
        'test',
        (line) => void logs.push(line),
        () => 0,
      ),
    };
    const set = (principals: readonly PrincipalRead[]) => {
      live.state = { ok: true, principals };
    };
    return { handler: createHandler(deps), clock, live, set, logs };
  };

  const subjects = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
  const keys = async (prefix: string) =>
    ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'evidence', Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key ?? '',
    );
  const read = async (key: string) =>
    JSON.parse(
      (await (
        await s3.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: key }))
      ).Body?.transformToString()) ?? '',
    ) as unknown;

  it('pages once, stays quiet while the grant stays, resolves (archived) when it goes, pages again on a re-grant', async () => {
    const { handler, clock, set } = setup();

    const first = await handler();
    expect(first.delivered.map((f) => f.ruleId)).toEqual(['iam.temporary-access-not-revoked']);
    const opened = first.delivered[0];
    expect(opened?.incidentId).toBeDefined();
    expect(subjects()).toHaveLength(1);
    expect(await keys('findings/')).toEqual([`findings/dt=2026-12-07/high/${opened?.id}.json`]);

    clock.t = T0 + 30 * MIN;
    const second = await handler();
    expect(second.delivered).toEqual([]);
    expect(second.duplicates).toBe(1);
    expect(subjects()).toHaveLength(1);

    clock.t = T0 + 60 * MIN;
    set([{ ok: true, principal: alice(false) }]);
    const gone = await handler();
    expect(gone.resolved.map((f) => f.id)).toEqual([opened?.id]);
    expect(subjects().at(-1)).toMatch(/^\[RESOLVED\] /);
    const resolvedNotice = sns.commandCalls(PublishCommand).at(-1)?.args[0].input;
    expect(resolvedNotice?.MessageAttributes?.incidentId?.StringValue).toBe(opened?.incidentId);
    const triage = await keys('triage/');
    expect(triage).toHaveLength(1);
    const decision = parseTriageDecision(await read(triage[0] ?? ''));
    expect(decision).toMatchObject({
      target: opened?.id,
      action: 'resolve',
      source: 'trailwarden',
      by: 'trailwarden:elevated-access',
      note: 'the grant is no longer in place',
      at: new Date(T0 + 60 * MIN).toISOString(),
    });

    clock.t = T0 + 90 * MIN;
    const quiet = await handler();
    expect(quiet.resolved).toEqual([]);
    expect(await keys('triage/')).toHaveLength(1);

    clock.t = T0 + 120 * MIN;
    set([{ ok: true, principal: alice(true) }]);
    const again = await handler();
    expect(again.delivered).toHaveLength(1);
    expect(again.delivered[0]?.id).not.toBe(opened?.id);
    expect(subjects()).toHaveLength(3);
  });

  it('a removed expires tag is remembered in the state table: the grant is still overdue', async () => {
    const { handler, clock, set } = setup();
    set([{ ok: true, principal: alice(true, { expires: '2026-12-07T13:00:00Z' }) }]);
    expect((await handler()).delivered).toEqual([]);
    clock.t = Date.parse('2026-12-07T14:00:00Z');
    set([{ ok: true, principal: alice(true, {}) }]);
    const out = await handler();
    expect(out.delivered).toHaveLength(1);
    expect(out.delivered[0]?.details).toContain(
      'expires: 2026-12-07T13:00:00Z (remembered from an earlier run (principal-tag expires); the mark is gone now)',
    );
  });

  it('an unreadable principal is reported and its open finding is not resolved', async () => {
    const { handler, clock, set, logs } = setup();
    expect((await handler()).delivered).toHaveLength(1);
    clock.t = T0 + 60 * MIN;
    set([{ ok: false, arn: ALICE, error: 'AccessDenied: iam:ListUserTags' }]);
    const out = await handler();
    expect(out.resolved).toEqual([]);
    expect(out.unreadable).toEqual([ALICE]);
    expect(JSON.stringify(logs)).toContain('AccessDenied: iam:ListUserTags');
    expect(await keys('triage/')).toEqual([]);
    // Readable again, grant gone: now it resolves.
    set([{ ok: true, principal: alice(false) }]);
    expect((await handler()).resolved).toHaveLength(1);
  });

  it('when nothing can be listed the run fails and nothing is resolved', async () => {
    const { handler, clock, live } = setup();
    await handler();
    clock.t = T0 + 60 * MIN;
    live.state = { ok: false, error: 'AccessDenied: iam:ListUsers' };
    await expect(handler()).rejects.toThrow('iam listing: AccessDenied: iam:ListUsers');
    expect(await keys('triage/')).toEqual([]);
  });
});

describe('parseElevatedEnv', () => {
  const base = {
    TABLE_NAME: 't',
    TOPIC_ARN: TOPIC,
    EVIDENCE_BUCKET: 'evidence',
    ACCOUNT_ID: ACCOUNT,
    AWS_REGION: 'eu-west-1',
  };
  it('defaults the grace to 15 minutes and reads the temporaryAccess list', () => {
    const entry = { principal: ALICE, expires: '2026-12-08', reason: 'DR exercise CHG-9' };
    expect(parseElevatedEnv({ ...base, TEMPORARY_ACCESS: JSON.stringify([entry]) })).toMatchObject({
      graceMinutes: 15,
      temporaryAccess: [entry],
    });
  });
  it('fails fast on a bad grace or entry', () => {
    expect(() => parseElevatedEnv({ ...base, GRACE_MINUTES: '-1' })).toThrow('GRACE_MINUTES must be');
    expect(() => parseElevatedEnv({ ...base, TEMPORARY_ACCESS: '[{"principal":"x"}]' })).toThrow(
      'TEMPORARY_ACCESS.temporaryAccess[0].principal',
    );
  });
});
