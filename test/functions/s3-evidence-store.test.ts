import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3EvidenceStore, evidenceBody, evidenceKey } from '../../functions/shared/adapters/s3-evidence-store.ts';
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
