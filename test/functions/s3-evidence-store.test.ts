import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createS3EvidenceStore,
  evidenceBody,
  evidenceKey,
  incidentEvidenceKey,
} from '../../functions/shared/adapters/s3-evidence-store.ts';
import { incidentBody } from '../../rules/core/incident.ts';
import { startS3rver } from '../support/s3rver.ts';
import { sampleFinding } from './support.ts';

describe('S3 evidence store', () => {
  it('writes the finding at its Hive-style key with a SHA-256 checksum S3 verifies', async () => {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).resolves({});
    const finding = sampleFinding();
    const body = evidenceBody(finding);
    const digest = createHash('sha256').update(body).digest();
    const out = await createS3EvidenceStore(new S3Client({ region: 'us-east-1' }), 'evidence-bucket').put(finding);
    expect(out).toEqual({
      key: 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json',
      sha256: digest.toString('hex'),
    });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'evidence-bucket',
      Key: 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json',
      Body: body,
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: digest.toString('base64'),
      IfNoneMatch: '*',
      Metadata: { sha256: digest.toString('hex'), 'rule-id': 'cloudtrail.logging-stopped', severity: 'critical' },
    });
    s3.restore();
  });

  it('writes a fold as a new revision key, never over the first state', async () => {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).resolves({});
    const store = createS3EvidenceStore(new S3Client({ region: 'us-east-1' }), 'evidence-bucket');
    const first = sampleFinding();
    await store.put(first);
    const out = await store.put({ ...first, count: 3, lastSeen: '2026-11-02T10:30:00.000Z' });
    expect(out.key).toBe('findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.r3.json');
    expect(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.IfNoneMatch])).toEqual([
      ['findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json', '*'],
      ['findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.r3.json', '*'],
    ]);
    s3.restore();
  });

  it('takes a 412 on a retried write as already archived, and lets any other error through', async () => {
    const s3 = mockClient(S3Client);
    const precondition = Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    s3.on(PutObjectCommand).rejectsOnce(precondition).rejectsOnce(new Error('AccessDenied'));
    const store = createS3EvidenceStore(new S3Client({ region: 'us-east-1' }), 'evidence-bucket');
    await expect(store.put(sampleFinding())).resolves.toMatchObject({
      key: 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json',
    });
    await expect(store.put(sampleFinding())).rejects.toThrow('AccessDenied');
    s3.restore();
  });

  it('archives each incident state at its own revision key, once (IfNoneMatch), and a retry finds it there', async () => {
    const s3 = mockClient(S3Client);
    const incident = {
      schema: 'trailwarden.incident/v1' as const,
      id: 'a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4',
      actorKey: 'arn:aws:iam::111122223333:user/mallory',
      account: '111122223333',
      drill: false,
      severity: 'critical' as const,
      pagedSeverity: 'critical' as const,
      openedAt: '2026-11-02T09:40:00.000Z',
      lastSeen: '2026-11-02T10:00:00.000Z',
      findingIds: ['f1', 'f2'],
      ruleIds: ['cloudtrail.logging-stopped'],
      controls: ['A.8.15' as const],
      pages: [{ findingId: 'f1', kind: 'page' as const, severity: 'critical' as const }],
      revision: 2,
    };
    const body = incidentBody(incident);
    const digest = createHash('sha256').update(body).digest();
    s3.on(PutObjectCommand)
      .resolvesOnce({})
      .rejectsOnce(
        Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        }),
      )
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    const store = createS3EvidenceStore(new S3Client({ region: 'us-east-1' }), 'evidence-bucket');
    const key = 'incidents/dt=2026-11-02/a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4.r2.json';
    expect(await store.putIncident(incident)).toEqual({ key, sha256: digest.toString('hex') });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'evidence-bucket',
      Key: key,
      Body: body,
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: digest.toString('base64'),
      IfNoneMatch: '*',
      Metadata: { sha256: digest.toString('hex'), 'incident-id': incident.id, severity: 'critical' },
    });
    // The same revision again (a retried batch): already there, fine. Any other error is an error.
    expect((await store.putIncident(incident)).key).toBe(key);
    await expect(store.putIncident(incident)).rejects.toThrow('slow down');
    expect(incidentEvidenceKey({ ...incident, revision: 1 })).toBe(
      'incidents/dt=2026-11-02/a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4.json',
    );
    s3.restore();
  });

  it('partitions by the day of the first event and by severity', () => {
    expect(evidenceKey(sampleFinding({ severity: 'high', firstSeen: '2026-12-31T23:59:59.000Z', id: 'abc' }))).toBe(
      'findings/dt=2026-12-31/high/abc.json',
    );
  });

  describe('round trip through s3rver', () => {
    let s3: Awaited<ReturnType<typeof startS3rver>>;
    beforeAll(async () => {
      s3 = await startS3rver(['evidence']);
    });
    afterAll(async () => {
      await s3.stop();
    });

    it('stores exactly the bytes whose hash it reports', async () => {
      const store = createS3EvidenceStore(s3.client, 'evidence');
      const finding = sampleFinding({ id: 'feedfacefeedfacefeedfacefeedface' });
      const { key, sha256 } = await store.put(finding);
      const got = await s3.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: key }));
      const text = (await got.Body?.transformToString()) ?? '';
      expect(createHash('sha256').update(text).digest('hex')).toBe(sha256);
      expect(JSON.parse(text)).toEqual(finding);
      expect(got.Metadata?.sha256).toBe(sha256);
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'evidence', Prefix: 'findings/' }));
      expect(listed.Contents?.map((o) => o.Key)).toContain(key);
    });
  });
});
