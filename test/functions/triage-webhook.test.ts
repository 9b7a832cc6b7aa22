import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3TriageStore } from '../../functions/shared/adapters/s3-triage-store.ts';
import { createSecretsManagerSecret } from '../../functions/shared/adapters/secrets-manager-secret.ts';
import type { TriageStore } from '../../functions/triage/webhook.ts';
import { createHandler, parseWebhookEnv } from '../../functions/triage/webhook.ts';
import { sha256 } from '../../rules/core/evidence.ts';
import { signPagerDutyBody } from '../../rules/core/pagerduty.ts';
import { DEFAULT_SLA } from '../../rules/core/sla.ts';
import { parseTriageDecision } from '../../rules/core/triage.ts';
import { startS3rver } from '../support/s3rver.ts';

const SECRET = 'pd-secret-0123456789';
const NOW = Date.parse('2026-11-02T15:20:30Z');
const INCIDENT = '4a793daf43da4d3f3a91ba7665557992';

/** A v3 webhook body as PagerDuty sends it (docs: Webhooks Overview, incident data type). */
const pdBody = (overrides: { type?: string; id?: string; occurredAt?: string; key?: unknown; reason?: unknown } = {}) =>
  JSON.stringify({
    event: {
      id: overrides.id ?? '01DEN2LMDPYKPAH1B5L2D8HMUQ',
      event_type: overrides.type ?? 'incident.acknowledged',
      resource_type: 'incident',
      occurred_at: overrides.occurredAt ?? '2026-11-02T15:20:00.000Z',
      agent: { id: 'PLH1HKV', summary: 'Alice Oncall', type: 'user_reference' },
      client: { name: 'PagerDuty' },
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        number: 42,
        status: 'acknowledged',
        incident_key: 'key' in overrides ? overrides.key : INCIDENT,
        created_at: '2026-11-02T15:13:00Z',
        title: '[CRITICAL] Admin-equivalent permissions granted',
        resolve_reason: overrides.reason ?? null,
      },
    },
  });

const urlEvent = (body: string, headers: Record<string, string> = {}, method = 'POST'): LambdaFunctionURLEvent =>
  ({
    version: '2.0',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    isBase64Encoded: false,
    body,
    requestContext: { requestId: 'req-1', http: { method } },
  }) as unknown as LambdaFunctionURLEvent;

const signed = (body: string, secret = SECRET) =>
  urlEvent(body, { 'x-pagerduty-signature': signPagerDutyBody(body, secret) });

const memoryStore = () => {
  const objects = new Map<string, string>();
  const store: TriageStore = {
    put: async (key, body) => {
      if (objects.has(key)) return 'exists';
      objects.set(key, body);
      return 'written';
    },
  };
  return { store, objects };
};

const setup = (store: TriageStore = memoryStore().store) => {
  const logs: Record<string, unknown>[] = [];
  const emf: Record<string, unknown>[] = [];
  const handler = createHandler({
    secret: { secrets: async () => [SECRET] },
    store,
    clock: { now: () => NOW },
    telemetry: {
      log: (level, message, fields) => logs.push({ level, message, ...fields }),
      count: (metrics) => emf.push({ ...metrics }),
    },
    maxAgeSeconds: 600,
    sla: DEFAULT_SLA,
    emit: (line) => emf.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { handler, logs, emf };
};

describe('triage webhook handler', () => {
  it('records a signed incident.acknowledged as an ack on the incident named by its dedup key', async () => {
    const { store, objects } = memoryStore();
    const { handler, emf } = setup(store);
    const res = await handler(signed(pdBody()));
    expect(res.statusCode).toBe(201);
    expect([...objects.keys()]).toEqual([expect.stringMatching(/^triage\/dt=2026-11-02\/[0-9a-f]{32}\.json$/)]);
    const decision = parseTriageDecision(JSON.parse([...objects.values()][0] ?? ''));
    expect(decision).toMatchObject({
      target: INCIDENT,
      action: 'ack',
      by: 'Alice Oncall',
      at: '2026-11-02T15:20:00.000Z',
      source: 'pagerduty',
      externalId: '01DEN2LMDPYKPAH1B5L2D8HMUQ',
      note: 'PagerDuty incident #42 acknowledged',
    });
    // 7 minutes from the PagerDuty incident's creation: within the high SLA (60 min).
    expect(emf.at(-1)).toMatchObject({
      service: 'trailwarden-triage',
      TriageDecisions: 1,
      Acknowledged: 1,
      TimeToAcknowledge: 420,
    });
    expect(emf.at(-1)).not.toHaveProperty('AckPastSla');
  });

  it('records incident.resolved without a verdict (classified later), or as duplicate when merged', async () => {
    const { store, objects } = memoryStore();
    const { handler, emf } = setup(store);
    expect(
      (await handler(signed(pdBody({ type: 'incident.resolved', id: 'E2', occurredAt: '2026-11-02T15:20:00Z' }))))
        .statusCode,
    ).toBe(201);
    expect(
      (await handler(signed(pdBody({ type: 'incident.resolved', id: 'E3', reason: { type: 'merge_resolve_reason' } }))))
        .statusCode,
    ).toBe(201);
    const decisions = [...objects.values()].map((b) => parseTriageDecision(JSON.parse(b)));
    expect(decisions.map((d) => [d?.action, d?.verdict])).toEqual([
      ['resolve', undefined],
      ['resolve', 'duplicate'],
    ]);
    expect(emf.filter((m) => 'TimeToResolve' in m).map((m) => m.TimeToResolve)).toEqual([420, 420]);
  });

  it.each([
    ['no signature', (b: string) => urlEvent(b), 401, 'unsigned'],
    ['a signature under another secret', (b: string) => signed(b, 'not-the-secret'), 401, 'signature does not match'],
    [
      'a body altered after signing',
      (b: string) => urlEvent(`${b} `, { 'X-PagerDuty-Signature': signPagerDutyBody(b, SECRET) }),
      401,
      'signature',
    ],
    ['a GET', (b: string) => urlEvent(b, {}, 'GET'), 405, 'only POST'],
  ])('refuses %s with %i and a log line', async (_name, build, status, reason) => {
    const { store, objects } = memoryStore();
    const { handler, logs } = setup(store);
    const res = await handler(build(pdBody()));
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body ?? '{}').error).toContain(reason);
    expect(objects.size).toBe(0);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'webhook rejected', status }));
  });

  it('accepts any of several v1 signatures (secret rotation)', async () => {
    const body = pdBody();
    const header = `v1=${'0'.repeat(64)},${signPagerDutyBody(body, SECRET)}`;
    expect((await setup().handler(urlEvent(body, { 'x-pagerduty-signature': header }))).statusCode).toBe(201);
  });

  it('refuses a stale event (older than the limit) and a replay of one already recorded', async () => {
    const { handler } = setup();
    const stale = await handler(signed(pdBody({ occurredAt: '2026-11-02T15:05:00Z' })));
    expect(stale.statusCode).toBe(408);
    expect(JSON.parse(stale.body ?? '{}').error).toMatch(/^stale: occurred 930 s ago/);
    const body = pdBody({ id: 'REPLAY-1' });
    expect((await handler(signed(body))).statusCode).toBe(201);
    const replay = await handler(signed(body));
    expect(replay.statusCode).toBe(409);
    expect(JSON.parse(replay.body ?? '{}').error).toBe('replayed: event REPLAY-1 is already recorded');
  });

  it.each([
    ['not JSON', 'hello', 400],
    ['no event', '{"foo":1}', 400],
    ['a dedup key that is not ours', pdBody({ key: '../../findings/x' }), 422],
    ['no dedup key', pdBody({ key: null }), 422],
  ])('answers a signed but bad payload (%s) with %i, never a crash', async (_name, body, status) => {
    const res = await setup().handler(signed(body));
    expect(res.statusCode).toBe(status);
  });

  it('answers other event types 200 without recording anything', async () => {
    const { store, objects } = memoryStore();
    const res = await setup(store).handler(signed(pdBody({ type: 'incident.annotated' })));
    expect(res.statusCode).toBe(200);
    expect(objects.size).toBe(0);
  });

  it('answers 500 (PagerDuty retries) when the store fails', async () => {
    const { handler, logs } = setup({ put: async () => Promise.reject(new Error('S3 down')) });
    expect((await handler(signed(pdBody()))).statusCode).toBe(500);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', error: 'S3 down' }));
  });
});

describe('webhook adapters', () => {
  it('reads the secret once per container and caches it; a failed read is retried', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: '{"secrets":["a","b"]}' });
    const source = createSecretsManagerSecret(new SecretsManagerClient({ region: 'eu-west-1' }), 'arn:secret');
    await expect(source.secrets()).rejects.toThrow('throttled');
    expect(await source.secrets()).toEqual(['a', 'b']);
    expect(await source.secrets()).toEqual(['a', 'b']);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 'arn:secret' },
      { SecretId: 'arn:secret' },
    ]);
    sm.restore();
  });

  it('writes with IfNoneMatch and a SHA-256 checksum; a 412 is "exists"', async () => {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('pre'), { name: 'PreconditionFailed' }));
    const store = createS3TriageStore(new S3Client({ region: 'eu-west-1' }), 'evidence');
    expect(await store.put('triage/dt=2026-11-02/a.json', '{}\n')).toBe('written');
    expect(await store.put('triage/dt=2026-11-02/a.json', '{}\n')).toBe('exists');
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'evidence',
      Key: 'triage/dt=2026-11-02/a.json',
      Body: '{}\n',
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: sha256('{}\n').base64,
      IfNoneMatch: '*',
      Metadata: { sha256: sha256('{}\n').hex },
    });
    s3.restore();
  });

  describe('against s3rver', () => {
    let s3: Awaited<ReturnType<typeof startS3rver>>;
    beforeAll(async () => {
      s3 = await startS3rver(['evidence']);
    });
    afterAll(async () => {
      await s3.stop();
    });

    it('the handler archives the decision bytes exactly', async () => {
      const { handler } = setup(createS3TriageStore(s3.client, 'evidence'));
      const res = await handler(signed(pdBody({ id: 'S3RVER-1' })));
      const key = JSON.parse(res.body ?? '{}').recorded as string;
      const got = await s3.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: key }));
      const decision = parseTriageDecision(JSON.parse((await got.Body?.transformToString()) ?? ''));
      expect(decision?.externalId).toBe('S3RVER-1');
    });
  });

  it('parses its environment once and fails fast', () => {
    expect(() => parseWebhookEnv({ PAGERDUTY_SECRET_ID: 's' })).toThrow('EVIDENCE_BUCKET is required');
    expect(() =>
      parseWebhookEnv({ EVIDENCE_BUCKET: 'b', PAGERDUTY_SECRET_ID: 's', MAX_EVENT_AGE_SECONDS: '5' }),
    ).toThrow(/MAX_EVENT_AGE_SECONDS/);
    expect(parseWebhookEnv({ EVIDENCE_BUCKET: 'b', PAGERDUTY_SECRET_ID: 's' })).toEqual({
      evidenceBucket: 'b',
      secretId: 's',
      maxAgeSeconds: 600,
      sla: DEFAULT_SLA,
    });
  });
});
