import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ElevatedDeps } from '../../functions/elevated-access/elevated-access.ts';
import { createHandler } from '../../functions/elevated-access/elevated-access.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoGrantMemoryStore } from '../../functions/shared/adapters/dynamodb-grant-memory.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createS3TriageStore } from '../../functions/shared/adapters/s3-triage-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { signDrillEnvelope } from '../../rules/core/drill-auth.ts';
import type { PrincipalState } from '../../rules/core/elevated-access.ts';
import { DEFAULT_ELEVATED_SETTINGS } from '../../rules/core/elevated-access.ts';
import type { ElevatedDrillStep } from '../../rules/core/observation-drill.ts';
import { ELEVATED_DRILL_SCHEMA, planElevatedDrill } from '../../rules/core/observation-drill.ts';
import type { IamStateReader } from '../../rules/core/ports.ts';
import { parseTriageDecision } from '../../rules/core/triage.ts';
import type { TestDynamoDb } from '../support/dynamodb.ts';
import { createStateTable, deleteTable, dynamoClient } from '../support/dynamodb.ts';
import { startS3rver } from '../support/s3rver.ts';

/**
 * Drills of the elevated-access check (an observation rule): a signed drill observation is judged like live state
 * but in the drill namespace; anything else that claims to be a drill is refused and paged as a forged drill.
 */

const ACCOUNT = '111122223333';
const home = { account: ACCOUNT, region: 'eu-west-1' };
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:findings`;
const KEY = 'drill-key-for-tests-0123456789abcdef0123456789';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ADMIN_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const T0 = Date.parse('2026-12-07T12:00:00Z');
const MIN = 60_000;
const RULE = 'iam.temporary-access-not-revoked';

const sns = mockClient(SNSClient);

/** Alice's real state: AdministratorAccess tagged to expire two hours before T0. */
const alice = (admin: boolean): PrincipalState => ({
  arn: ALICE,
  type: 'user',
  name: 'alice',
  tags: { expires: '2026-12-07T10:00:00Z' },
  managed: admin ? [{ arn: ADMIN, name: 'AdministratorAccess', document: ADMIN_DOC, tags: {} }] : [],
  inline: [],
  groups: [],
});

/** A drill observation of any state, signed with `key` (what a drill operator could send). */
const signedObservation = (
  principals: readonly PrincipalState[],
  step: ElevatedDrillStep,
  nowMs: number,
  key = KEY,
  id = `drill-${step}-${nowMs}`,
) =>
  signDrillEnvelope(
    { schema: ELEVATED_DRILL_SCHEMA, id, time: new Date(nowMs).toISOString(), step, principals },
    { id, timeMs: nowMs },
    key,
    { run: 'run-obs', expiresMs: nowMs + 15 * MIN },
  );

describe('elevated-access drills (DynamoDB Local, s3rver, SNS mocked)', () => {
  let dynamo: TestDynamoDb;
  let table: string;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
  });
  beforeEach(async () => {
    s3 = await startS3rver(['evidence']);
    table = await createStateTable(dynamo, 'elevated-drill');
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });
  afterEach(async () => {
    sns.reset();
    await s3.stop();
    await deleteTable(dynamo, table);
  });

  const setup = (options: { readonly drillKey?: (() => Promise<string>) | null } = {}) => {
    const clock = { t: T0 };
    const iamReads = { n: 0 };
    const live: { state: Awaited<ReturnType<IamStateReader['read']>> } = {
      state: { ok: true, principals: [{ ok: true, principal: alice(true) }] },
    };
    const client = new SNSClient({ region: 'eu-west-1' });
    const memory = createDynamoGrantMemoryStore(dynamo, table);
    const deps: ElevatedDeps = {
      iam: {
        read: async () => {
          iamReads.n++;
          return live.state;
        },
      },
      memory,
      ledger: createDynamoLedger(dynamo, table, { clock: { now: () => clock.t } }),
      incidents: createDynamoIncidentStore(dynamo, table, { clock: { now: () => clock.t } }),
      sink: createAwsFindingSink(createS3EvidenceStore(s3.client, 'evidence'), createSnsNotifier(client, TOPIC)),
      resolutions: createSnsResolvedNotifier(client, TOPIC),
      triage: createS3TriageStore(s3.client, 'evidence'),
      clock: { now: () => clock.t },
      home,
      temporaryAccess: [],
      settings: DEFAULT_ELEVATED_SETTINGS,
      telemetry: createTelemetry('test', () => {}),
      ...(options.drillKey === null ? {} : { drillKey: options.drillKey ?? (async () => KEY) }),
    };
    return { handler: createHandler(deps), clock, live, iamReads, memory };
  };

  const publishes = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  const keys = async (prefix: string) =>
    ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'evidence', Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key ?? '',
    );
  const read = async (key: string) =>
    JSON.parse(
      (await (
        await s3.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: key }))
      ).Body?.transformToString()) ?? '',
    ) as Record<string, unknown>;

  it('the planned drill fires as a drill (paged, archived), then resolves like the real one; IAM is never read', async () => {
    const { handler, iamReads, memory } = setup();
    const plan = planElevatedDrill({ nowMs: T0, account: ACCOUNT, auth: { key: KEY, run: 'run-1' } });
    const [overdue, revoked] = plan.steps;

    const fired = await handler(overdue?.message);
    expect(fired.drill).toEqual({ honoured: true, step: 'overdue', run: 'run-1' });
    expect(fired.delivered).toHaveLength(1);
    const finding = fired.delivered[0];
    expect(finding).toMatchObject({ ruleId: RULE, drill: true, severity: 'high' });
    expect(finding?.details?.[0]).toBe('DRILL: a signed drill observation, not the live IAM state.');
    expect(finding?.details ?? []).toContain('grant: arn:aws:iam::aws:policy/AdministratorAccess');
    const page = publishes()[0];
    expect(page?.Subject).toMatch(/^\[DRILL\] /);
    expect(page?.MessageAttributes?.drill).toEqual({ DataType: 'String', StringValue: 'true' });
    const archived = await keys('findings/');
    expect(archived).toEqual([`findings/dt=2026-12-07/high/${finding?.id}.json`]);
    expect(await read(archived[0] ?? '')).toMatchObject({ id: finding?.id, drill: true });

    // Resolving: the grantee without the grant, a second later.
    {
      const resolved = await handler(revoked?.message);
      expect(resolved.drill).toMatchObject({ honoured: true, step: 'revoked' });
      expect(resolved.resolved.map((f) => f.id)).toEqual([finding?.id]);
      const notice = publishes()[1];
      expect(notice?.Subject).toMatch(/^\[RESOLVED\] \[DRILL\] /);
      expect(notice?.MessageAttributes?.drill).toEqual({ DataType: 'String', StringValue: 'true' });
      expect(notice?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'resolved' });
      const decisions = await keys('triage/');
      expect(decisions).toHaveLength(1);
      const decision = parseTriageDecision(await read(decisions[0] ?? ''));
      expect(decision).toMatchObject({ target: finding?.id, action: 'resolve', source: 'trailwarden' });
      expect(decision?.note).toMatch(/^DRILL \(run on a signed drill observation\): the grant is no longer in place/);
    }
    expect(iamReads.n).toBe(0);
    // The real memory of the account was never written: only the drill's own item.
    expect(await memory.load(ACCOUNT)).toEqual({ memory: [], version: 0 });
    expect((await memory.load(`drill|${ACCOUNT}`)).version).toBeGreaterThan(0);
  });

  it('a signed drill naming a real principal and grant never meets its real finding: no fold, no resolve, no shared incident', async () => {
    const { handler, clock, live } = setup();
    // The real check pages alice's overdue grant.
    const real = await handler();
    expect(real.delivered.map((f) => [f.ruleId, f.drill])).toEqual([[RULE, false]]);
    const realFinding = real.delivered[0];

    // A drill of the very same grant at the very same instant: a finding of its own, in its own incident.
    clock.t = T0;
    const drilled = await handler(signedObservation([alice(true)], 'overdue', clock.t));
    expect(drilled.delivered).toHaveLength(1);
    expect(drilled.delivered[0]?.drill).toBe(true);
    expect(drilled.delivered[0]?.id).not.toBe(realFinding?.id);
    expect(drilled.delivered[0]?.incidentId).not.toBe(realFinding?.incidentId);

    // The drill says the grant is gone: only the drill's finding resolves; the real one stays open.
    clock.t = T0 + 10 * MIN;
    const gone = await handler(signedObservation([alice(false)], 'revoked', clock.t));
    expect(gone.resolved.map((f) => f.id)).toEqual([drilled.delivered[0]?.id]);
    clock.t = T0 + 40 * MIN;
    const still = await handler();
    expect(still.resolved).toEqual([]);
    expect(still.duplicates).toBe(1);

    // And the real revocation resolves the real finding.
    live.state = { ok: true, principals: [{ ok: true, principal: alice(false) }] };
    clock.t = T0 + 70 * MIN;
    expect((await handler()).resolved.map((f) => f.id)).toEqual([realFinding?.id]);
  });

  const unsigned = () => {
    const { drill: _sig, ...rest } = signedObservation([alice(false)], 'revoked', T0);
    return { ...rest, trailwardenDrill: true };
  };
  const tampered = () => {
    const signed = signedObservation([alice(true)], 'overdue', T0);
    return { ...signed, principals: [alice(false)] };
  };

  it.each([
    ['unsigned (a trailwardenDrill marker)', () => unsigned(), 'unsigned drill marker (trailwardenDrill)'],
    [
      'signed with another key',
      () => signedObservation([alice(false)], 'revoked', T0, 'another-key-the-attacker-made-up-0123456789'),
      'drill signature does not match',
    ],
    ['tampered after signing', () => tampered(), 'drill signature does not match'],
    ['expired', () => signedObservation([alice(false)], 'revoked', T0 - 20 * MIN), 'drill signature expired'],
    [
      'not an observation at all',
      () => ({ ...signedObservation([alice(false)], 'revoked', T0), principals: 'everyone' }),
      'not a trailwarden.elevated-access-drill/v1 message',
    ],
  ] as const)(
    'a drill observation %s is refused: its state is never judged, and it pages as a forged drill',
    async (_name, make, reason) => {
      const { handler, iamReads, memory } = setup();
      const report = await handler(make());
      expect(report.drill?.honoured).toBe(false);
      expect(report.drill?.reason).toContain(reason);
      expect(report.delivered.map((f) => [f.ruleId, f.drill, f.severity])).toEqual([
        ['trailwarden.forged-drill', false, 'high'],
      ]);
      expect(report.delivered[0]?.details?.[0]).toContain('Drill observation refused');
      expect(report.resolved).toEqual([]);
      expect(iamReads.n).toBe(0);
      expect(await memory.load(ACCOUNT)).toEqual({ memory: [], version: 0 });
      expect(await memory.load(`drill|${ACCOUNT}`)).toEqual({ memory: [], version: 0 });
      // Paged as real: no drill attribute for the pager to ignore.
      expect(publishes()[0]?.MessageAttributes?.drill).toBeUndefined();
    },
  );

  it('a forged "revoked" drill cannot resolve a real open finding', async () => {
    const { handler, clock } = setup();
    const real = await handler();
    clock.t = T0 + 5 * MIN;
    const forged = await handler(
      signedObservation([alice(false)], 'revoked', clock.t, 'another-key-the-attacker-made-up-0123456789'),
    );
    expect(forged.resolved).toEqual([]);
    clock.t = T0 + 40 * MIN;
    const next = await handler();
    expect(next.resolved).toEqual([]);
    expect(next.duplicates).toBe(1);
    expect(real.delivered).toHaveLength(1);
  });

  it('without a drill key (none configured, or unreadable) every drill is refused', async () => {
    const plan = planElevatedDrill({ nowMs: T0, auth: { key: KEY, run: 'run-1' } });
    const none = await setup({ drillKey: null }).handler(plan.steps[0]?.message);
    expect(none.drill).toMatchObject({ honoured: false, reason: 'this function has no drill key configured' });
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const broken = await setup({
      drillKey: async () => {
        throw new Error('AccessDeniedException');
      },
    }).handler(plan.steps[0]?.message);
    expect(broken.drill?.reason).toBe('the drill key could not be loaded (AccessDeniedException)');
    // The same message refused again (same table): the same forged-drill finding, a duplicate, not a second page.
    expect(broken.delivered).toEqual([]);
    expect(broken.duplicates).toBe(1);
  });

  it('the schedule (an EventBridge Scheduled Event) is a real run', async () => {
    const { handler, iamReads } = setup();
    const report = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    expect(report.drill).toBeUndefined();
    expect(iamReads.n).toBe(1);
    expect(report.delivered.map((f) => f.drill)).toEqual([false]);
  });
});
