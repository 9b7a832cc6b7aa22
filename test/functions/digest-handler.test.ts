import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DigestDeps } from '../../functions/digest/digest.ts';
import { createHandler, previousHour } from '../../functions/digest/digest.ts';
import { createS3DigestStore } from '../../functions/shared/adapters/s3-digest-store.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { DigestEntry, StoredObject } from '../../rules/core/digest.ts';
import { buildDigest, DIGEST_PREFIX, HOUR_MS, verifyChain } from '../../rules/core/digest.ts';
import { isEvidenceKey, sha256 } from '../../rules/core/evidence.ts';
import type { DigestStore } from '../../rules/core/ports.ts';
import { startS3rver } from '../support/s3rver.ts';
import { newSigner } from '../support/signing.ts';
import { sampleFinding } from './support.ts';

const quiet = createTelemetry(
  'test',
  () => {},
  () => 0,
);

/** The bucket in memory: each object with the time it was last written. */
const memoryStore = () => {
  const objects = new Map<string, { bytes: string; writtenMs: number }>();
  const puts: string[] = [];
  const store: DigestStore = {
    listEvidence: async (startMs, endMs) =>
      [...objects.entries()]
        .filter(([k, o]) => isEvidenceKey(k) && o.writtenMs >= startMs && o.writtenMs < endMs)
        .map(([key, o]): DigestEntry => ({ key, sha256: sha256(o.bytes).hex, size: Buffer.byteLength(o.bytes) })),
    previousDigest: async (beforeKey) => {
      const key = [...objects.keys()]
        .filter((k) => k.startsWith(DIGEST_PREFIX) && k < beforeKey)
        .sort()
        .at(-1);
      const bytes = key === undefined ? undefined : objects.get(key)?.bytes;
      return key === undefined || bytes === undefined ? null : { key, sha256: sha256(bytes).hex };
    },
    exists: async (key) => objects.has(key),
    putDigest: async (key, body) => {
      if (objects.has(key)) return false;
      objects.set(key, { bytes: body, writtenMs: 0 });
      puts.push(key);
      return true;
    },
    putPublicKey: async (key, pem) => {
      if (!objects.has(key)) objects.set(key, { bytes: pem, writtenMs: 0 });
    },
  };
  const write = (key: string, bytes: string, writtenMs: number) => objects.set(key, { bytes, writtenMs });
  const contents = (): StoredObject[] => [...objects.entries()].map(([key, o]) => ({ key, bytes: o.bytes }));
  return { store, write, contents, puts };
};

const T = Date.parse('2026-11-02T10:17:00Z');

let keys: Awaited<ReturnType<typeof newSigner>>;
beforeEach(async () => {
  keys = await newSigner();
});

const setup = (store: DigestStore, clock: { t: number }) => {
  const deps: DigestDeps = { store, signer: keys.signer, clock: { now: () => clock.t }, telemetry: quiet };
  return createHandler(deps);
};

describe('digest handler', () => {
  it('digests the previous whole UTC hour', () => {
    expect(previousHour(T)).toEqual({
      startMs: Date.parse('2026-11-02T09:00:00Z'),
      endMs: Date.parse('2026-11-02T10:00:00Z'),
    });
    expect(previousHour(Date.parse('2026-11-02T10:00:00Z')).startMs).toBe(Date.parse('2026-11-02T09:00:00Z'));
  });

  it('writes a digest for an empty hour, and the next hour chains to it', async () => {
    const mem = memoryStore();
    const clock = { t: T };
    const handler = setup(mem.store, clock);
    expect(await handler()).toEqual({
      status: 'written',
      key: 'digests/dt=2026-11-02/20261102T090000Z.json',
      objects: 0,
      previous: null,
    });
    clock.t += HOUR_MS;
    expect(await handler()).toMatchObject({ status: 'written', objects: 0, previous: mem.puts[0] });
    const report = verifyChain(mem.contents());
    expect(report).toMatchObject({ ok: true, digests: 2, problems: [] });
  });

  it("lists the hour's evidence only, chains two hours, and verifies with the body the core builds", async () => {
    const mem = memoryStore();
    mem.write('findings/dt=2026-11-02/high/a.json', '{"a":1}\n', Date.parse('2026-11-02T09:05:00Z'));
    mem.write('findings/dt=2026-11-02/low/b.json', '{"b":2}\n', Date.parse('2026-11-02T09:59:59Z'));
    mem.write('findings/dt=2026-11-02/low/c.json', '{"c":3}\n', Date.parse('2026-11-02T10:00:00Z'));
    const clock = { t: T };
    const handler = setup(mem.store, clock);
    expect(await handler()).toMatchObject({ status: 'written', objects: 2 });
    clock.t += HOUR_MS;
    expect(await handler()).toMatchObject({ status: 'written', objects: 1, previous: mem.puts[0] });

    const contents = mem.contents();
    const stored = JSON.parse(
      String(contents.find((o) => o.key === 'digests/dt=2026-11-02/20261102T090000Z.json')?.bytes),
    ) as { signature: unknown };
    const first = await buildDigest(
      {
        periodStart: '2026-11-02T09:00:00Z',
        periodEnd: '2026-11-02T10:00:00Z',
        objects: contents.filter((o) => o.key.endsWith('/a.json') || o.key.endsWith('/b.json')),
        previous: null,
      },
      keys.signer,
    );
    // ECDSA signatures are randomised: the same digest, the signature aside.
    expect({ ...stored, signature: null }).toEqual({ ...first.digest, signature: null });
    expect(verifyChain(contents)).toMatchObject({ ok: true, digests: 2, evidence: 3, verified: 3 });
  });

  it('signs each digest and keeps the public key beside the evidence; the chain verifies against it', async () => {
    const mem = memoryStore();
    mem.write('incidents/dt=2026-11-02/i1.json', '{"i":1}\n', Date.parse('2026-11-02T09:10:00Z'));
    mem.write('triage/dt=2026-11-02/t1.json', '{"t":1}\n', Date.parse('2026-11-02T09:20:00Z'));
    mem.write('findings/dt=2026-11-02/high/a.r2.json', '{"a":2}\n', Date.parse('2026-11-02T09:30:00Z'));
    mem.write('elsewhere/x.json', '{"x":1}\n', Date.parse('2026-11-02T09:30:00Z'));
    const handler = setup(mem.store, { t: T });
    expect(await handler()).toMatchObject({ status: 'written', objects: 3 });
    const contents = mem.contents();
    expect(contents.find((o) => o.key === keys.stored.key)?.bytes).toBe(keys.pem);
    const report = verifyChain(contents, { anchors: [keys.der] });
    expect(report).toMatchObject({ ok: true, digests: 1, signed: 1, evidence: 3, verified: 3 });
    const other = await newSigner();
    expect(verifyChain(contents, { anchors: [other.der] }).problems.map((p) => p.kind)).toContain('unknown-key');
  });

  it('does nothing when re-run for an hour that already has its digest', async () => {
    const mem = memoryStore();
    mem.write('findings/dt=2026-11-02/high/a.json', '{"a":1}\n', Date.parse('2026-11-02T09:05:00Z'));
    const clock = { t: T };
    const handler = setup(mem.store, clock);
    await handler();
    const before = mem.contents();
    clock.t += 20 * 60_000;
    expect(await handler()).toEqual({ status: 'exists', key: 'digests/dt=2026-11-02/20261102T090000Z.json' });
    expect(mem.puts).toHaveLength(1);
    expect(mem.contents()).toEqual(before);
  });

  it('reports a digest another run wrote first as existing', async () => {
    const mem = memoryStore();
    const store: DigestStore = { ...mem.store, exists: async () => false };
    await setup(mem.store, { t: T })();
    expect(await setup(store, { t: T })()).toMatchObject({ status: 'exists' });
    expect(mem.puts).toHaveLength(1);
  });
});

describe('S3 digest store on s3rver', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    s3 = await startS3rver(['evidence']);
  });
  afterAll(async () => {
    await s3.stop();
  });

  const bucketContents = async (): Promise<StoredObject[]> => {
    const { ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'evidence' }));
    return Promise.all(
      (listed.Contents ?? []).map(async (o) => {
        const got = await s3.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: o.Key }));
        return { key: o.Key ?? '', bytes: (await got.Body?.transformToByteArray()) ?? new Uint8Array() };
      }),
    );
  };

  it('digests what the evidence store wrote, and verifyChain accepts the bucket', async () => {
    const evidence = createS3EvidenceStore(s3.client, 'evidence');
    const store = createS3DigestStore(s3.client, 'evidence');
    // The chain's previous hour, written before any evidence: an empty digest to link to.
    const before = Date.now();
    const clock = { t: before };
    const handler = setup(store, clock);
    expect(await handler()).toMatchObject({ status: 'written', objects: 0, previous: null });

    const now = new Date().toISOString();
    const findings = ['aa', 'bb', 'cc'].map((id, i) =>
      sampleFinding({ id: id.repeat(16), severity: i === 0 ? 'high' : 'low', firstSeen: now, lastSeen: now }),
    );
    const written = await Promise.all(findings.map((f) => evidence.put(f)));
    // A fold of the first: a new revision beside it, never an overwrite.
    const base = findings[0] ?? sampleFinding();
    written.push(await evidence.put({ ...base, count: base.count + 1 }));
    expect(written[3]?.key).toBe(written[0]?.key.replace(/\.json$/, `.r${base.count + 1}.json`));
    const after = Date.now();
    // The hour(s) the writes fell in: one run per hour, as the schedule would (the same hour twice is a no-op).
    const runs = [];
    for (const t of [before + HOUR_MS, after + HOUR_MS]) {
      clock.t = t;
      runs.push(await handler());
    }
    const objects = runs.reduce((n, r) => n + (r.status === 'written' ? r.objects : 0), 0);
    expect(objects).toBe(written.length);
    expect(runs[0]).toMatchObject({ status: 'written' });

    const contents = await bucketContents();
    const report = verifyChain(contents, { anchors: [keys.der] });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, evidence: 4, verified: 4, signed: report.digests });
    expect(contents.map((o) => o.key)).toContain(keys.stored.key);
    expect(report.digests).toBeGreaterThanOrEqual(2);
    // Re-running the last hour changes nothing.
    expect(await handler()).toMatchObject({ status: 'exists' });
    expect(await bucketContents()).toHaveLength(contents.length);
  });

  it('says whether a digest exists, and finds none before the first', async () => {
    const store = createS3DigestStore(s3.client, 'evidence');
    expect(await store.exists('digests/dt=2000-01-01/20000101T000000Z.json')).toBe(false);
    expect(await store.previousDigest('digests/dt=2000-01-01/20000101T000000Z.json')).toBeNull();
    expect(await store.listEvidence(0, HOUR_MS)).toEqual([]);
  });
});

describe('S3 digest store: hashes', () => {
  it('takes the stored full-object ChecksumSHA256 and reads the body only when there is none or a composite', async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { S3Client, ListObjectsV2Command, HeadObjectCommand, GetObjectCommand, PutObjectCommand } = await import(
      '@aws-sdk/client-s3'
    );
    const s3 = mockClient(S3Client);
    try {
      const start = Date.parse('2026-11-02T23:00:00Z');
      const inside = new Date(start + 60_000);
      s3.on(ListObjectsV2Command).resolves({ Contents: [] });
      s3.on(ListObjectsV2Command, { Prefix: 'findings/dt=2026-11-02/' }).resolves({
        Contents: [
          { Key: 'findings/dt=2026-11-02/high/stored.json', LastModified: inside },
          { Key: 'findings/dt=2026-11-02/high/composite.json', LastModified: inside },
          { Key: 'findings/dt=2026-11-02/high/old.json', LastModified: new Date(start - 1) },
        ],
      });
      s3.on(ListObjectsV2Command, { Prefix: 'findings/dt=2026-10-31/' }).resolves({
        // A repeat folded into a finding first seen two days ago, rewritten inside this hour.
        Contents: [{ Key: 'findings/dt=2026-10-31/high/late.json', LastModified: inside }],
      });
      s3.on(HeadObjectCommand, { Key: 'findings/dt=2026-10-31/high/late.json' }).resolves({
        ChecksumSHA256: sha256('late\n').base64,
        ChecksumType: 'FULL_OBJECT',
        ContentLength: 5,
      });
      const stored = sha256('stored\n');
      s3.on(HeadObjectCommand, { Key: 'findings/dt=2026-11-02/high/stored.json' }).resolves({
        ChecksumSHA256: stored.base64,
        ChecksumType: 'FULL_OBJECT',
        ContentLength: 7,
      });
      s3.on(HeadObjectCommand, { Key: 'findings/dt=2026-11-02/high/composite.json' }).resolves({
        ChecksumSHA256: `${stored.base64}-2`,
        ChecksumType: 'COMPOSITE',
        ContentLength: 10,
      });
      // Only the part of the SDK stream the adapter uses.
      const body = { transformToByteArray: async () => new Uint8Array(Buffer.from('composite\n')) };
      s3.on(GetObjectCommand).resolves({ Body: body as never });
      s3.on(PutObjectCommand).resolves({});
      const store = createS3DigestStore(new S3Client({ region: 'us-east-1' }), 'evidence');
      const entries = await store.listEvidence(start, start + HOUR_MS);
      expect(entries).toEqual(
        expect.arrayContaining([
          { key: 'findings/dt=2026-10-31/high/late.json', sha256: sha256('late\n').hex, size: 5 },
          { key: 'findings/dt=2026-11-02/high/stored.json', sha256: stored.hex, size: 7 },
          { key: 'findings/dt=2026-11-02/high/composite.json', sha256: sha256('composite\n').hex, size: 10 },
        ]),
      );
      expect(entries).toHaveLength(3);
      expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toMatchObject({ ChecksumMode: 'ENABLED' });
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
        'findings/dt=2026-11-02/high/composite.json',
      ]);
      // Every evidence prefix: the day the period touches, and two days back for late events and folds.
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual(
        ['findings/', 'incidents/', 'triage/', 'reviews/', 'drills/'].flatMap((p) =>
          ['2026-10-31', '2026-11-01', '2026-11-02'].map((d) => `${p}dt=${d}/`),
        ),
      );

      await store.putDigest('digests/dt=2026-11-02/20261102T230000Z.json', 'body\n');
      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
        Key: 'digests/dt=2026-11-02/20261102T230000Z.json',
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: sha256('body\n').base64,
        IfNoneMatch: '*',
      });
      // The public key is written once too, and a 412 (already there) is no error.
      s3.on(PutObjectCommand, { Key: 'keys/ab.pem' }).rejects(
        Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        }),
      );
      await expect(store.putPublicKey('keys/ab.pem', 'pem\n')).resolves.toBeUndefined();
      expect(s3.commandCalls(PutObjectCommand)[1]?.args[0].input).toMatchObject({
        Key: 'keys/ab.pem',
        ContentType: 'application/x-pem-file',
        IfNoneMatch: '*',
      });
    } finally {
      s3.restore();
    }
  });
});

describe('KMS digest signer', () => {
  it('signs the SHA-256 of the bytes as a DIGEST with ECDSA_SHA_256, and the signature verifies offline', async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { KMSClient, SignCommand, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
    const { createKmsDigestSigner } = await import('../../functions/shared/adapters/kms-digest-signer.ts');
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const { verifySignature } = await import('../../rules/core/signature.ts');
    // KMS stands in for a real ECC_NIST_P256 key: it signs the 32-byte digest it is given, without hashing again.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const kms = mockClient(KMSClient);
    try {
      const message = Buffer.from('x'.repeat(10_000));
      // KMS signs a DIGEST message without hashing it again: ECDSA_SHA_256 of the message it stands for.
      kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => {
        if (Buffer.compare(Buffer.from(input.Message), Buffer.from(sha256(message).hex, 'hex')) !== 0) {
          throw new Error('unexpected digest');
        }
        return {
          KeyId: arn,
          SigningAlgorithm: 'ECDSA_SHA_256',
          Signature: new Uint8Array(sign('sha256', message, privateKey)),
        };
      });
      kms.on(GetPublicKeyCommand).resolves({ KeyId: arn, PublicKey: der, KeySpec: 'ECC_NIST_P256' });
      const signer = createKmsDigestSigner(new KMSClient({ region: 'eu-west-1' }), 'alias/trailwarden-digest');
      const out = await signer.sign(message);
      expect(kms.commandCalls(SignCommand)[0]?.args[0].input).toEqual({
        KeyId: 'alias/trailwarden-digest',
        Message: new Uint8Array(Buffer.from(sha256(message).hex, 'hex')),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      });
      expect(out).toMatchObject({ algorithm: 'ECDSA_SHA_256', keyId: arn });
      const signature = Buffer.from(out.signature).toString('base64');
      expect(verifySignature(message, signature, 'ECDSA_SHA_256', der)).toBe(true);
      expect(verifySignature(Buffer.from('y'), signature, 'ECDSA_SHA_256', der)).toBe(false);
      expect(await signer.publicKey()).toEqual(der);
      await signer.publicKey();
      // Fetched once per container.
      expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
      expect(kms.commandCalls(GetPublicKeyCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/trailwarden-digest' });
    } finally {
      kms.restore();
    }
  });

  it('refuses a key that is not ECC_NIST_P256, and retries the fetch after a failure', async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { KMSClient, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
    const { createKmsDigestSigner } = await import('../../functions/shared/adapters/kms-digest-signer.ts');
    const kms = mockClient(KMSClient);
    try {
      kms.on(GetPublicKeyCommand).resolvesOnce({ PublicKey: new Uint8Array(1), KeySpec: 'RSA_2048' });
      const signer = createKmsDigestSigner(new KMSClient({ region: 'eu-west-1' }), 'k');
      await expect(signer.publicKey()).rejects.toThrow(/RSA_2048; digests are signed with ECC_NIST_P256/);
      kms.on(GetPublicKeyCommand).resolves({ PublicKey: new Uint8Array([1, 2]), KeySpec: 'ECC_NIST_P256' });
      expect(await signer.publicKey()).toEqual(new Uint8Array([1, 2]));
    } finally {
      kms.restore();
    }
  });

  it('the function needs the bucket and the signing key at init', async () => {
    const { createDeps } = await import('../../functions/digest/digest.ts');
    expect(() => createDeps({ EVIDENCE_BUCKET: 'b' })).toThrow(/DIGEST_SIGNING_KEY_ARN is required/);
    expect(() => createDeps({ DIGEST_SIGNING_KEY_ARN: 'k' })).toThrow(/EVIDENCE_BUCKET is required/);
    expect(createDeps({ EVIDENCE_BUCKET: 'b', DIGEST_SIGNING_KEY_ARN: 'k' }).signer).toBeDefined();
  });
});
